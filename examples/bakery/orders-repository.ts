import { OpskitError } from "opskit/errors";
import { withTransaction, type Pool, type PoolClient } from "opskit/db";
import type { Queue } from "opskit/jobs";
import { publishEvent } from "opskit/outbox";
import { bakeryErrors } from "./errors.js";
import { INVENTORY_PUSH } from "./tasks.js";
import { nextStage, type Stage } from "./stages.js";

export interface Order {
  id: string;
  store: string;
  external_id: string | null;
  customer: string;
  items: { sku: string; quantity: number }[];
  stage: Stage;
  created_at: Date;
  updated_at: Date;
}

export interface NewOrder {
  store: string;
  externalId?: string | undefined;
  customer: string;
  items: { sku: string; quantity: number }[];
}

/**
 * Inserts an order and, in the same transaction, enqueues the push of its
 * inventory change and publishes `order.created` to the outbox. Idempotent on (store, externalId): a retried create
 * returns the order the first one made (`created: false`) and enqueues
 * nothing; the same externalId with other content is a 409 `CONFLICT`.
 */
export async function insertOrder(
  pool: Pool,
  queue: Queue,
  order: NewOrder,
): Promise<{ order: Order; created: boolean }> {
  return withTransaction(pool, async (tx) => {
    const { rows } = await tx.query<Order>(
      `insert into orders (store, external_id, customer, items) values ($1, $2, $3, $4)
       on conflict (store, external_id) do nothing returning *`,
      [order.store, order.externalId ?? null, order.customer, JSON.stringify(order.items)],
    );
    const created = rows[0];
    if (!created) return { order: await sameOrder(tx, order), created: false };
    await publishEvent(tx, {
      aggregateType: "order",
      aggregateId: created.id,
      type: "order.created",
      payload: {
        id: created.id,
        store: created.store,
        customer: created.customer,
        items: created.items,
        stage: created.stage,
      },
    });
    await queue.add(
      INVENTORY_PUSH,
      { orderId: created.id },
      { tx, dedupeKey: `inventory-push:${created.id}` },
    );
    return { order: created, created: true };
  });
}

// Only reached with an externalId: a null one never conflicts (nulls are distinct in a unique key).
async function sameOrder(tx: PoolClient, order: NewOrder): Promise<Order> {
  const { rows } = await tx.query<Order>(
    `select * from orders where store = $1 and external_id = $2`,
    [order.store, order.externalId],
  );
  const existing = rows[0]!;
  if (existing.customer !== order.customer || !sameItems(existing.items, order.items)) {
    throw new OpskitError(
      "CONFLICT",
      `Order ${order.externalId} of ${order.store} already exists (id ${existing.id}) with other content.`,
    );
  }
  return existing;
}

function sameItems(a: NewOrder["items"], b: NewOrder["items"]): boolean {
  return (
    a.length === b.length &&
    a.every((item, i) => item.sku === b[i]!.sku && item.quantity === b[i]!.quantity)
  );
}

export async function listOrders(
  pool: Pool,
  filter: { stage?: Stage | undefined; limit: number; afterId?: string | undefined },
): Promise<Order[]> {
  const { rows } = await pool.query<Order>(
    `select * from orders
      where ($1::text is null or stage = $1) and ($2::bigint is null or id < $2)
      order by id desc limit $3`,
    [filter.stage ?? null, filter.afterId ?? null, filter.limit],
  );
  return rows;
}

export async function findOrder(pool: Pool, id: string): Promise<Order | undefined> {
  const { rows } = await pool.query<Order>(`select * from orders where id = $1`, [id]);
  return rows[0];
}

/**
 * Moves an order to `to`, which must be the stage right after its current
 * one. The row is locked (`FOR UPDATE`) so concurrent changes to one order
 * are serialised: of two requests for the same next stage, one wins and the
 * other is refused with `INVALID_STAGE`, and nothing changes for it.
 */
export async function changeOrderStage(pool: Pool, id: string, to: Stage): Promise<Order> {
  return withTransaction(pool, async (client) => {
    const { rows } = await client.query<Order>(`select * from orders where id = $1 for update`, [
      id,
    ]);
    const order = rows[0];
    if (!order) throw new OpskitError("NOT_FOUND", `Order ${id} does not exist.`);
    const expected = nextStage(order.stage);
    if (expected !== to) {
      throw bakeryErrors.error(
        "INVALID_STAGE",
        expected
          ? `Order ${id} is in ${order.stage}; the next stage is ${expected}, not ${to}.`
          : `Order ${id} is already Complete.`,
        { details: { current: order.stage, requested: to } },
      );
    }
    await client.query(
      `insert into order_stage_changes (order_id, from_stage, to_stage) values ($1, $2, $3)`,
      [id, order.stage, to],
    );
    const updated = await client.query<Order>(
      `update orders set stage = $2, updated_at = now() where id = $1 returning *`,
      [id, to],
    );
    // In the same transaction as the change: the event exists exactly when the change does.
    await publishEvent(client, {
      aggregateType: "order",
      aggregateId: id,
      type: "order.stage_changed",
      payload: { id, from: order.stage, to },
    });
    return updated.rows[0]!;
  });
}
