/**
 * The relay never skips a row of a transaction that commits late: eight
 * writers publish concurrently, some holding their transactions open across
 * several relay rounds and committing out of order, one rolls back; every
 * committed event is relayed exactly once, no rolled-back one ever.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { withTransaction, type PoolClient } from "../db/index.js";
import { count, deferred, waitUntil, withPool } from "../../test/jobs.js";
import { createOutbox } from "./create-outbox.js";
import { defineOutboxHandler } from "./define-outbox-handler.js";

test("eight writers committing out of order while the relay runs: every committed event is relayed once, none skipped", async () => {
  await withPool(async (pool) => {
    const seen = defineOutboxHandler({ name: "seen", handle: () => undefined });
    const outbox = createOutbox({ pool, handlers: [seen], batchSize: 7 });
    const relayed = async () =>
      count(pool, "select 1 from opskit.outbox_deliveries where consumer = 'handler:seen'");

    // Four writers open transactions, publish, and hold them.
    const held: { release: () => void; done: Promise<void> }[] = [];
    const published: string[] = [];
    for (let w = 0; w < 4; w++) {
      const gate = deferred();
      const inserted = deferred();
      const done = withTransaction(pool, async (tx: PoolClient) => {
        for (let i = 0; i < 3; i++) {
          published.push(
            await outbox.publish(tx, {
              aggregateType: "held",
              aggregateId: `w${w}`,
              type: "t.held",
              payload: { w, i },
            }),
          );
        }
        inserted.resolve();
        await gate.promise;
      });
      await inserted.promise;
      held.push({ release: gate.resolve, done });
    }
    // One writer that rolls back after the others have published past it.
    const abortGate = deferred();
    const aborted = withTransaction(pool, async (tx) => {
      await outbox.publish(tx, { aggregateType: "gone", aggregateId: "x", type: "t.gone" });
      await abortGate.promise;
      throw new Error("rolled back on purpose");
    }).catch(() => "rolled back");

    // Four more writers commit many small transactions while the relay runs rounds.
    const quick = Array.from({ length: 4 }, (_, w) =>
      (async () => {
        for (let i = 0; i < 25; i++) {
          await withTransaction(pool, async (tx) => {
            published.push(
              await outbox.publish(tx, {
                aggregateType: "quick",
                aggregateId: `q${w}`,
                type: "t.quick",
                payload: { w, i },
              }),
            );
          });
          if (i % 5 === 0) await outbox.relayOnce();
        }
      })(),
    );
    await Promise.all(quick);
    await outbox.relayOnce();
    // Everything committed so far is relayed; the held rows (lower positions) are not yet.
    assert.equal(await relayed(), 100);

    // Commit the held transactions in reverse order, with relay rounds between.
    for (const h of [...held].reverse()) {
      h.release();
      await h.done;
      await outbox.relayOnce();
    }
    abortGate.resolve();
    assert.equal(await aborted, "rolled back");
    await outbox.relayOnce();

    assert.equal(await relayed(), 112);
    const { rows } = await pool.query<{ id: string }>(
      "select event_id::text as id from opskit.outbox_deliveries",
    );
    assert.deepEqual(rows.map((r) => r.id).sort(), [...published].sort());
    assert.equal(await count(pool, "select 1 from opskit.outbox where type = 't.gone'"), 0);
    // Each delivery has its drain job (one per line per relay batch at least).
    await waitUntil(
      async () =>
        (await count(
          pool,
          "select 1 from opskit.jobs where task = 'opskit.outbox-deliver' group by fifo_key",
        )) === 8,
      "a job per line",
    );
  });
});

test("publish validates its input: nothing is written for a bad event", async () => {
  await withPool(async (pool) => {
    const outbox = createOutbox({ pool });
    const bad = [
      { aggregateType: "", aggregateId: "1", type: "t" },
      { aggregateType: "a", aggregateId: "", type: "t" },
      { aggregateType: "a", aggregateId: "1", type: "x".repeat(201) },
      { aggregateType: "a", aggregateId: "1", type: "t", id: "not-a-uuid" },
      { aggregateType: "a", aggregateId: "1", type: "t", headers: { n: 1 } },
      { aggregateType: "a", aggregateId: "1", type: "t", payload: { big: 1n } },
    ];
    for (const input of bad) {
      await assert.rejects(
        withTransaction(pool, (tx) => outbox.publish(tx, input as never)),
        (e: Error & { code?: string }) => e.code === "OUTBOX_EVENT_INVALID",
      );
    }
    assert.equal(await count(pool, "select 1 from opskit.outbox"), 0);
    // And from SQL, in the caller's transaction.
    await pool.query("select opskit.publish_event('order', '7', 'order.created', '{\"n\":1}')");
    assert.equal(await count(pool, "select 1 from opskit.outbox where aggregateid = '7'"), 1);
  });
});
