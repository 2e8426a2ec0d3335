import pg from "pg";
import { buildApp } from "./app.js";

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
const app = await buildApp(pool);
await app.listen({ port: Number(process.env.PORT ?? 3000), host: "0.0.0.0" });
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => {
    void app.close().then(async () => {
      await pool.end();
      process.exit(0);
    });
  });
}
