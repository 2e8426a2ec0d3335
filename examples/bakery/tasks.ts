import { z } from "zod";
import { withTransaction, type Pool } from "opskit/db";
import { defineSchedule, defineTask, type AnyTask, type Schedule } from "opskit/jobs";
import type { StoreApi } from "./store-api.js";

export const INVENTORY_PUSH = "inventory-push";

/**
 * The bakery's tasks and schedules. Add a task here (and its name to the
 * routes or the inbox that enqueue it) to give the worker more to do.
 */
export function bakeryJobs(deps: { pool: Pool; storeApi: StoreApi }): {
  tasks: AnyTask[];
  schedules: Schedule[];
} {
  const { pool, storeApi } = deps;

  // Pushes an order's inventory change to its store, one SKU at a time; a
  // SKU already pushed (by an earlier attempt) is skipped.
  const inventoryPush = defineTask(
    INVENTORY_PUSH,
    async ({ orderId }, ctx) => {
      const { rows } = await pool.query<{
        store: string;
        items: { sku: string; quantity: number }[];
      }>(`select store, items from orders where id = $1`, [orderId]);
      const order = rows[0];
      if (!order) return;
      for (const item of order.items) {
        const done = await pool.query(
          "select 1 from inventory_pushes where order_id = $1 and sku = $2",
          [orderId, item.sku],
        );
        if (done.rowCount) continue;
        await storeApi.pushInventory(
          {
            store: order.store,
            sku: item.sku,
            delta: -item.quantity,
            idempotencyKey: `inventory:${orderId}:${item.sku}`,
          },
          ctx.signal,
        );
        await pool.query(
          `insert into inventory_pushes (order_id, sku, store, delta, job_id, attempt)
           values ($1, $2, $3, $4, $5, $6) on conflict do nothing`,
          [orderId, item.sku, order.store, -item.quantity, ctx.id, ctx.attempt],
        );
      }
      ctx.log.info({ order_id: orderId, skus: order.items.length }, "inventory pushed");
    },
    { schema: z.object({ orderId: z.string().regex(/^\d+$/) }), maxAttempts: 8, timeoutMs: 30_000 },
  );

  // Finds orders whose inventory was never pushed and enqueues them again.
  const reconcile = defineTask("reconcile", async (_p, ctx) => {
    const { rows } = await pool.query<{ id: string }>(
      `select o.id::text from orders o
        where not exists (select 1 from inventory_pushes p where p.order_id = o.id)
          and o.created_at < now() - interval '1 minute'
        order by o.id limit 1000`,
    );
    await withTransaction(pool, async (tx) => {
      for (const { id } of rows) {
        await tx.query("select opskit.add_job($1, $2, dedupe_key => $3)", [
          INVENTORY_PUSH,
          JSON.stringify({ orderId: id }),
          `inventory-push:${id}`,
        ]);
      }
      const { rows: total } = await tx.query<{ n: number }>(
        "select count(*)::int as n from orders",
      );
      await tx.query("insert into reconcile_runs (slot, orders, unpushed) values ($1, $2, $3)", [
        ctx.schedule?.slot ?? null,
        total[0]?.n ?? 0,
        rows.length,
      ]);
    });
  });

  // A long job: counts the items of every order, in batches, each batch and
  // its checkpoint in one transaction; killed or interrupted, it resumes
  // where the last batch committed.
  const backfill = defineTask(
    "backfill",
    async ({ batch }, ctx) => {
      let cursor = (ctx.checkpointed as { afterId: string } | undefined)?.afterId ?? "0";
      for (;;) {
        ctx.signal.throwIfAborted();
        const next = await withTransaction(pool, async (tx) => {
          const { rows } = await tx.query<{ last: string | null; n: number }>(
            `with page as (select id, items from orders where id > $1 order by id limit $2),
             written as (
               insert into order_item_counts (order_id, items)
               select id, (select coalesce(sum((i->>'quantity')::int), 0) from jsonb_array_elements(items) i) from page
               on conflict (order_id) do update set items = excluded.items
             )
             select max(id)::text as last, count(*)::int as n from page`,
            [cursor, batch],
          );
          const last = rows[0]?.last ?? null;
          if (last !== null) await ctx.checkpoint({ afterId: last }, { tx });
          return last;
        });
        if (next === null) return;
        cursor = next;
        await ctx.progress(Number(cursor));
      }
    },
    { schema: z.object({ batch: z.number().int().min(1).max(10_000).default(500) }) },
  );

  return {
    tasks: [inventoryPush, reconcile, backfill],
    schedules: [
      defineSchedule({
        name: "reconcile",
        cron: "*/5 * * * *",
        task: reconcile,
        missed: "once",
        graceMs: 600_000,
      }),
    ],
  };
}
