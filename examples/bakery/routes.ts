import { Hono } from "hono";
import { z } from "zod";
import { requireAuth, requireRole, type AuthEnv } from "opskit/auth";
import { OpskitError } from "opskit/errors";
import { jsonBody } from "opskit/http";
import type { Pool } from "opskit/db";
import type { Queue } from "opskit/jobs";
import { STAGES } from "./stages.js";
import { changeOrderStage, findOrder, insertOrder, listOrders } from "./orders-repository.js";

// A quantity becomes an `integer` delta in inventory_pushes: past 2^31 the push would fail forever.
const MAX_QUANTITY = 100_000;
const newOrderBody = z.object({
  store: z.string().min(1).max(200),
  externalId: z.string().min(1).max(200).optional(),
  customer: z.string().min(1).max(200),
  items: z
    .array(
      z.object({
        sku: z.string().min(1).max(100),
        quantity: z.number().int().positive().max(MAX_QUANTITY),
      }),
    )
    .min(1)
    .max(100),
});
const stageBody = z.object({ stage: z.enum(STAGES) });

// Order ids are `bigint`: 1 to 2^63-1. Nineteen digits can be past that (22003 in the query).
const MAX_BIGINT = 9223372036854775807n;
const isOrderId = (text: string) =>
  /^[0-9]{1,19}$/.test(text) && BigInt(text) >= 1n && BigInt(text) <= MAX_BIGINT;

const listQuery = z.object({
  stage: z.enum(STAGES).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  before: z.string().refine(isOrderId, "an order id (1 to 2^63-1)").optional(),
});

function parseQuery<T>(schema: z.ZodType<T>, value: unknown): T {
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
  if (!isOrderId(raw))
    throw new OpskitError("NOT_FOUND", `Order ${raw.slice(0, 40)} does not exist.`);
  return raw;
}

/** Who may do what: station staff move orders along the line; managers also create them. */
export const BAKERY_ROLES = { staff: "staff", manager: "manager" } as const;

/**
 * The bakery's JSON API: list, create, read orders and move them along the
 * line. Reads are open; every write needs a bearer token (opskit/auth):
 * `manager` creates orders, `staff` or `manager` advances a stage, and
 * `/api/me` says who the caller is. Bodies are read with opskit's `jsonBody`
 * (415 for anything but JSON, so a cross-site form cannot create orders;
 * 400 for bytes Postgres cannot store).
 */
export function bakeryRoutes({ pool, queue }: { pool: Pool; queue: Queue }): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>();
  app.get("/api/me", requireAuth(), (c) => {
    const principal = c.get("principal")!;
    return c.json({
      subject: principal.subject,
      roles: principal.roles,
      scheme: principal.scheme,
      expiresAt: principal.expiresAt?.toISOString() ?? null,
    });
  });
  app.get("/api/orders", async (c) => {
    const query = parseQuery(listQuery, c.req.query());
    const orders = await listOrders(pool, {
      stage: query.stage,
      limit: query.limit,
      afterId: query.before,
    });
    return c.json({ orders });
  });
  app.post("/api/orders", requireRole(BAKERY_ROLES.manager), async (c) => {
    const body = await jsonBody(c, newOrderBody);
    // A retried create (same store and externalId) answers the order it made the first time.
    const { order, created } = await insertOrder(pool, queue, body);
    return c.json({ order }, created ? 201 : 200);
  });
  app.get("/api/orders/:id", async (c) => {
    const id = parseId(c.req.param("id"));
    const order = await findOrder(pool, id);
    if (!order) throw new OpskitError("NOT_FOUND", `Order ${id} does not exist.`);
    return c.json({ order });
  });
  app.post(
    "/api/orders/:id/stage",
    requireRole(BAKERY_ROLES.staff, BAKERY_ROLES.manager),
    async (c) => {
      const id = parseId(c.req.param("id"));
      const { stage } = await jsonBody(c, stageBody);
      return c.json({ order: await changeOrderStage(pool, id, stage) });
    },
  );
  return app;
}
