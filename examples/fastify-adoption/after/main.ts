import { startAdaptedService } from "opskit/fastify";
import { buildApp } from "./app.js";

const migrationsDir = new URL("../prisma/migrations", import.meta.url).pathname;
const opskit = await startAdaptedService({ name: "orders", version: "1.0.0", migrationsDir });
const app = await buildApp(opskit);
await app.listen({ port: opskit.service.config.PORT, host: opskit.service.config.HOST });
