// The orders service before opskit: its own health route, error handler,
// request ids and shutdown, beside its routes. (Migrations: `prisma migrate deploy`.)
import { randomUUID } from "node:crypto";
import Fastify from "fastify";
import type pg from "pg";

interface Order {
  id: string;
  item: string;
  qty: number;
}

export async function buildApp(pool: pg.Pool) {
  const app = Fastify({
    logger: true,
    genReqId: (req) => String(req.headers["x-request-id"] ?? randomUUID()),
  });
  app.get("/healthz", async () => {
    await pool.query("select 1");
    return { ok: true };
  });
  app.setErrorHandler((err: Error & { statusCode?: number }, req, reply) => {
    req.log.error(err);
    return reply
      .code(err.statusCode ?? 500)
      .send({ error: "something went wrong", requestId: req.id });
  });
  app.get(
    "/orders",
    async () => (await pool.query<Order>("select id, item, qty from orders order by id")).rows,
  );
  app.post("/orders", async (req, reply) => {
    const { item, qty } = req.body as { item: string; qty: number };
    const { rows } = await pool.query<Order>(
      "insert into orders (item, qty) values ($1, $2) returning id, item, qty",
      [item, qty],
    );
    return reply.code(201).send(rows[0]);
  });
  return app;
}
