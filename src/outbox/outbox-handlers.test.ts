/**
 * In-process handlers run through the job queue: in order per aggregate
 * while other aggregates proceed, a failing event retried with backoff (its
 * line waits), dead after its attempts (the line moves on), replayed by an
 * operator; writes through ctx.tx commit with the acknowledgement.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { withTransaction } from "../db/index.js";
import { createQueue } from "../jobs/index.js";
import { count, waitUntil, withPool } from "../../test/jobs.js";
import { createOutbox } from "./create-outbox.js";
import { defineOutboxHandler } from "./define-outbox-handler.js";

test("a handler gets each aggregate's events in order; a failing one retries, dies, and is replayed", async () => {
  await withPool(async (pool) => {
    await pool.query("create table handled (event_id uuid primary key, agg text, n int)");
    const order: Record<string, number[]> = {};
    let failPoison = true;
    const recorder = defineOutboxHandler({
      name: "recorder",
      types: ["item.*"],
      async handle(event, ctx) {
        const p = event.payload as { n: number; poison?: boolean };
        if (p.poison && failPoison) throw new Error("poisoned");
        await ctx.tx.query("insert into handled values ($1, $2, $3)", [
          event.id,
          event.aggregateid,
          p.n,
        ]);
        (order[event.aggregateid] ??= []).push(p.n);
      },
    });
    const outbox = createOutbox({
      pool,
      handlers: [recorder],
      backoff: { type: "fixed", delayMs: 20 },
      handlerMaxAttempts: 3,
      pollIntervalMs: 50,
    });
    const queue = createQueue({ pool, tasks: [...outbox.tasks] });
    const relay = outbox.startRelay();
    const worker = queue.work({ concurrency: 4, pollIntervalMs: 50 });
    try {
      for (let n = 0; n < 6; n++) {
        await withTransaction(pool, async (tx) => {
          for (const agg of ["a", "b", "c"]) {
            await outbox.publish(tx, {
              aggregateType: "item",
              aggregateId: agg,
              type: "item.changed",
              payload: { n, poison: agg === "b" && n === 2 },
            });
          }
          await outbox.publish(tx, { aggregateType: "other", aggregateId: "z", type: "other.x" });
        });
      }
      await waitUntil(
        async () => (await count(pool, "select 1 from handled")) === 17,
        "everything but the poisoned event handled",
      );
      assert.deepEqual(order.a, [0, 1, 2, 3, 4, 5]);
      assert.deepEqual(order.c, [0, 1, 2, 3, 4, 5]);
      assert.deepEqual(order.b, [0, 1, 3, 4, 5], "the dead event let its line move on");
      const dead = await outbox.admin.listDeliveries({ state: "dead" });
      assert.equal(dead.length, 1);
      assert.equal(dead[0]?.attempts, 3);
      assert.match(dead[0]?.last_error ?? "", /poisoned/);
      assert.equal(
        await count(pool, "select 1 from opskit.dead_jobs where task = 'opskit.outbox-deliver'"),
        1,
        "the job queue shows the dead delivery as a dead job",
      );
      assert.equal(
        await count(
          pool,
          "select 1 from opskit.outbox_deliveries where consumer <> 'handler:recorder'",
        ),
        0,
        "types filter: other.x is not delivered to the recorder",
      );

      failPoison = false;
      const replayed = await outbox.admin.replay({ consumer: "handler:recorder", state: "dead" });
      assert.equal(replayed.deliveries, 1);
      await waitUntil(async () => (await count(pool, "select 1 from handled")) === 18, "replayed");
      assert.deepEqual(order.b, [0, 1, 3, 4, 5, 2]);
      assert.equal((await outbox.admin.listDeliveries({ state: "dead" })).length, 0);
    } finally {
      await relay.stop();
      await worker.stop();
    }
  });
});

test("hostile admin input gets a clear error and changes nothing", async () => {
  await withPool(async (pool) => {
    const outbox = createOutbox({ pool });
    const admin = outbox.admin;
    const code = (c: string) => (e: Error & { code?: string }) => e.code === c;
    await assert.rejects(admin.showEvent("'; drop table x; --"), code("OUTBOX_EVENT_INVALID"));
    await assert.rejects(
      admin.showEvent("00000000-0000-4000-8000-000000000000"),
      code("OUTBOX_NOT_FOUND"),
    );
    await assert.rejects(admin.replay({ deliveryId: "1 or 1=1" }), code("OUTBOX_EVENT_INVALID"));
    await assert.rejects(admin.replay({ state: "pending" as never }), code("OUTBOX_EVENT_INVALID"));
    await assert.rejects(admin.pauseEndpoint("../../etc"), code("OUTBOX_EVENT_INVALID"));
    await assert.rejects(admin.pauseEndpoint("nope"), code("OUTBOX_NOT_FOUND"));
    await assert.rejects(admin.resumeEndpoint("nope"), code("OUTBOX_NOT_FOUND"));
    const s = `whsec_${Buffer.alloc(32, 1).toString("base64")}`;
    for (const spec of [
      { name: "x", url: "ftp://a", secret: s },
      { name: "x", url: "http://user:pw@a", secret: s },
      { name: "x", url: "not a url", secret: s },
      { name: "x", url: "https://a", secret: "plain" },
      { name: "X Y", url: "https://a", secret: s },
      { name: "x", url: "https://a", secret: s, maxFailures: 0 },
    ]) {
      await assert.rejects(admin.upsertEndpoint(spec), code("OUTBOX_EVENT_INVALID"));
    }
    assert.equal(await count(pool, "select 1 from opskit.outbox_endpoints"), 0);
    await assert.rejects(
      admin.listDeliveries({ state: "nonsense" as never }),
      code("OUTBOX_EVENT_INVALID"),
    );
  });
});
