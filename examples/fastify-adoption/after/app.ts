// The orders service on opskit: probes, metrics, request ids, the error
// envelope, the console and the shutdown come from the plugin.
import Fastify from "fastify";
import { opskitFastify, type AdaptedService } from "opskit/fastify";

interface Order {
  id: string;
  item: string;
  qty: number;
}

export async function buildApp(opskit: AdaptedService<unknown>) {
  const pool = opskit.service.pool;
  const app = Fastify();
  await app.register(opskitFastify, { service: opskit });
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
