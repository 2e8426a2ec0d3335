import { Hono } from "hono";
import { z } from "zod";
import { OpskitError } from "opskit/errors";
import type { Pool } from "opskit/db";
import type { Queue } from "opskit/jobs";
import { STAGES } from "./stages.js";
import { changeOrderStage, findOrder, insertOrder, listOrders } from "./orders-repository.js";

const newOrderBody = z.object({
  store: z.string().min(1).max(200),
  externalId: z.string().min(1).max(200).optional(),
  customer: z.string().min(1).max(200),
  items: z
    .array(z.object({ sku: z.string().min(1).max(100), quantity: z.number().int().positive() }))
    .min(1)
    .max(100),
});
const stageBody = z.object({ stage: z.enum(STAGES) });
const listQuery = z.object({
  stage: z.enum(STAGES).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  before: z.string().regex(/^\d+$/).optional(),
});
const orderId = z.string().regex(/^\d{1,18}$/);

async function parseJson<T>(schema: z.ZodType<T>, read: () => Promise<unknown>): Promise<T> {
  let body: unknown;
  try {
    body = await read();
  } catch {
    throw new OpskitError("BAD_REQUEST", "The body is not valid JSON.");
  }
  return parseWith(schema, body);
}

function parseWith<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new OpskitError("BAD_REQUEST", "The request failed validation.", {
      details: {
        issues: result.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })),
      },
    });
  }
  return result.data;
}

function parseId(raw: string): string {
  if (!orderId.safeParse(raw).success)
    throw new OpskitError("NOT_FOUND", `Order ${raw} does not exist.`);
  return raw;
}

/** The bakery's JSON API: list, create, read orders and move them along the line. */
export function bakeryRoutes({ pool, queue }: { pool: Pool; queue: Queue }): Hono {
  const app = new Hono();
  app.get("/api/orders", async (c) => {
    const query = parseWith(listQuery, c.req.query());
    const orders = await listOrders(pool, {
      stage: query.stage,
      limit: query.limit,
      afterId: query.before,
    });
    return c.json({ orders });
  });
  app.post("/api/orders", async (c) => {
    const body = await parseJson(newOrderBody, () => c.req.json());
    return c.json({ order: await insertOrder(pool, queue, body) }, 201);
  });
  app.get("/api/orders/:id", async (c) => {
    const id = parseId(c.req.param("id"));
    const order = await findOrder(pool, id);
    if (!order) throw new OpskitError("NOT_FOUND", `Order ${id} does not exist.`);
    return c.json({ order });
  });
  app.post("/api/orders/:id/stage", async (c) => {
    const id = parseId(c.req.param("id"));
    const { stage } = await parseJson(stageBody, () => c.req.json());
    return c.json({ order: await changeOrderStage(pool, id, stage) });
  });
  return app;
}
