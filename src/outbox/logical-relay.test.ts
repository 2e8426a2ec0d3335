/**
 * The relay with its logical source, on a real Postgres with
 * wal_level=logical: events stream through the slot in per-aggregate order;
 * a stalled consumer gets its slot dropped at a small budget and the relay
 * falls back to polling without losing an event, and a restart after that
 * streams again; a second relay polls while the slot is taken and takes it
 * over when the first stops; a restart after the slot was dropped makes a
 * new slot and delivers everything.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import pg from "pg";
import { withTransaction, type Pool } from "../db/index.js";
import { createQueue } from "../jobs/index.js";
import { count, waitUntil, withPool } from "../../test/jobs.js";
import type { TestDatabase } from "../testing/index.js";
import { createOutbox, type Outbox } from "./create-outbox.js";
import { defineOutboxHandler } from "./define-outbox-handler.js";
import { dropSlotsOf, incompressible } from "./logical/logical-test-fixture.js";

const SLOT = "opskit_outbox_relay_test";

/** A handler recording each aggregate's sequence numbers, a queue draining its deliveries. */
async function withLogicalOutbox(
  fn: (t: {
    pool: Pool;
    db: TestDatabase;
    order: Record<string, number[]>;
    handled: () => Promise<number>;
    make: (relay: { maxSlotLagBytes?: number; retryMs?: number }) => Outbox;
  }) => Promise<void>,
): Promise<void> {
  await withPool(async (pool, db) => {
    await pool.query("create table handled (event_id uuid primary key, agg text, n int)");
    const order: Record<string, number[]> = {};
    const recorder = defineOutboxHandler({
      name: "recorder",
      async handle(event, ctx) {
        const p = event.payload as { n: number };
        await ctx.tx.query("insert into handled values ($1, $2, $3)", [
          event.id,
          event.aggregateid,
          p.n,
        ]);
        (order[event.aggregateid] ??= []).push(p.n);
      },
    });
    const make = (relay: { maxSlotLagBytes?: number; retryMs?: number }) =>
      createOutbox({
        pool,
        handlers: [recorder],
        pollIntervalMs: 100,
        relay: { source: "logical", slotName: SLOT, guardIntervalMs: 100, ...relay },
      });
    const queue = createQueue({ pool, tasks: [...make({}).tasks] });
    const worker = queue.work({ concurrency: 4, pollIntervalMs: 50 });
    try {
      await fn({
        pool,
        db,
        order,
        make,
        handled: () => count(pool, "select 1 from handled"),
      });
    } finally {
      await worker.stop();
      await dropSlotsOf(db);
    }
  });
}

/** `writers` concurrent writers, each publishing `each` events of its own aggregate, one per transaction. */
async function publishAll(
  outbox: Outbox,
  pool: Pool,
  from: number,
  each: number,
  writers = 4,
  pad = 0,
): Promise<void> {
  await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      for (let n = from; n < from + each; n++) {
        await withTransaction(pool, (tx) =>
          outbox.publish(tx, {
            aggregateType: "item",
            aggregateId: `a${w}`,
            type: "item.changed",
            payload: pad > 0 ? { n, pad: incompressible(pad) } : { n },
          }),
        );
      }
    }),
  );
}

const inOrder = (order: Record<string, number[]>, writers: number, total: number) => {
  for (let w = 0; w < writers; w++) {
    assert.deepEqual(
      order[`a${w}`],
      Array.from({ length: total }, (_, n) => n),
      `aggregate a${w} in order`,
    );
  }
};

const slotExists = async (pool: Pool) =>
  (await count(pool, "select 1 from pg_replication_slots where slot_name = $1", [SLOT])) === 1;

test("in logical mode every event comes through the slot, in per-aggregate order, and the poll watermark follows", async () => {
  await withLogicalOutbox(async ({ pool, order, handled, make }) => {
    const outbox = make({});
    // Published before the slot exists: the catch-up poll takes these.
    await publishAll(outbox, pool, 0, 5);
    const relay = outbox.startRelay({ listen: false });
    try {
      await waitUntil(() => relay.status().mode === "logical", "streaming from the slot");
      assert.equal(await slotExists(pool), true);
      const { rows: before } = await pool.query<{ done: string }>(
        "select done_snapshot::text as done from opskit.outbox_relay",
      );
      await publishAll(outbox, pool, 5, 25);
      await waitUntil(async () => (await handled()) === 120, "120 events handled");
      inOrder(order, 4, 30);
      assert.equal(await count(pool, "select 1 from opskit.outbox_deliveries"), 120);
      // The watermark moves behind the slot's confirmed position, reading no rows.
      await waitUntil(async () => {
        const { rows } = await pool.query<{ done: string; covered: boolean }>(
          `select r.done_snapshot::text as done,
                  not exists (select 1 from opskit.outbox o
                               where not pg_visible_in_snapshot(o.txid, r.done_snapshot)) as covered
             from opskit.outbox_relay r`,
        );
        return rows[0]!.done !== before[0]!.done && rows[0]!.covered;
      }, "the poll watermark covers every streamed event");
      assert.equal(relay.status().mode, "logical");
    } finally {
      await relay.stop();
    }
  });
});

test("a stalled consumer: the slot is dropped at its budget, the relay falls back to polling, no event is lost", async () => {
  await withLogicalOutbox(async ({ pool, db, order, handled, make }) => {
    const outbox = make({ maxSlotLagBytes: 256 * 1024 });
    const relay = outbox.startRelay();
    const blocker = new pg.Client({ connectionString: db.url });
    await blocker.connect();
    try {
      await waitUntil(() => relay.status().mode === "logical", "streaming from the slot");
      await publishAll(outbox, pool, 0, 5);
      await waitUntil(async () => (await handled()) === 20, "the first events handled");

      // The sink's transaction reads the endpoints: hold a lock on them, and
      // the slot's consumer hangs while writes go on.
      await blocker.query("begin");
      await blocker.query("lock table opskit.outbox_endpoints in access exclusive mode");
      await publishAll(outbox, pool, 5, 20, 4, 8 * 1024);
      await waitUntil(
        () => relay.status().fallback === "lag-budget-exceeded",
        "the guard drops the slot and the relay falls back",
        25_000,
      );
      assert.equal(relay.status().mode, "poll");
      assert.equal(await slotExists(pool), false);
      await blocker.query("commit");

      // Polling takes over: everything committed before and after is delivered.
      await publishAll(outbox, pool, 25, 5);
      await waitUntil(async () => (await handled()) === 120, "every event handled", 25_000);
      inOrder(order, 4, 30);
      assert.equal(await count(pool, "select 1 from opskit.outbox_deliveries"), 120);
    } finally {
      await blocker.end();
      await relay.stop();
    }

    // A restart after the fallback (slot gone): a new slot, nothing lost.
    await publishAll(outbox, pool, 30, 5);
    const again = make({}).startRelay();
    try {
      await waitUntil(() => again.status().mode === "logical", "streaming from a new slot");
      await publishAll(outbox, pool, 35, 5);
      await waitUntil(
        async () => (await handled()) === 160,
        "every event handled after the restart",
      );
      inOrder(order, 4, 40);
    } finally {
      await again.stop();
    }
  });
});

test("two relays in logical mode: one streams, the other polls until the slot is free, then takes it over", async () => {
  await withLogicalOutbox(async ({ pool, order, handled, make }) => {
    const outbox = make({});
    const a = make({ retryMs: 200 }).startRelay();
    await waitUntil(() => a.status().mode === "logical", "the first relay streams");
    const b = make({ retryMs: 200 }).startRelay();
    let bStopped = false;
    try {
      // The slot is taken: the second relay's reader fails to start, it polls (and retries).
      await waitUntil(() => b.status().mode === "poll", "the second relay polls");
      assert.equal(a.status().mode, "logical");
      await publishAll(outbox, pool, 0, 10);
      await waitUntil(async () => (await handled()) === 40, "every event handled");
      await a.stop();
      await waitUntil(() => b.status().mode === "logical", "the second relay takes the slot over");
      await publishAll(outbox, pool, 10, 10);
      await waitUntil(
        async () => (await handled()) === 80,
        "every event handled after the takeover",
      );
      inOrder(order, 4, 20);
      assert.equal(await count(pool, "select 1 from opskit.outbox_deliveries"), 80);
      await b.stop();
      bStopped = true;
    } finally {
      await a.stop();
      if (!bStopped) await b.stop();
    }
  });
});

test("a restart after the slot was dropped makes a new slot and delivers everything", async () => {
  await withLogicalOutbox(async ({ pool, order, handled, make }) => {
    const first = make({}).startRelay({ listen: false });
    const outbox = make({});
    try {
      await waitUntil(() => first.status().mode === "logical", "streaming from the slot");
      await publishAll(outbox, pool, 0, 5);
      await waitUntil(async () => (await handled()) === 20, "the first events handled");
    } finally {
      await first.stop();
    }
    // While no relay runs: events, then the slot dropped (as its guard or an
    // operator would), then more events.
    await publishAll(outbox, pool, 5, 5);
    assert.equal(await slotExists(pool), true, "a stop keeps the slot");
    await pool.query("select pg_drop_replication_slot($1)", [SLOT]);
    await publishAll(outbox, pool, 10, 5);

    const second = make({}).startRelay({ listen: false });
    try {
      await waitUntil(() => second.status().mode === "logical", "streaming from a new slot");
      assert.equal(await slotExists(pool), true);
      await publishAll(outbox, pool, 15, 5);
      await waitUntil(async () => (await handled()) === 80, "every event handled");
      inOrder(order, 4, 20);
      assert.equal(await count(pool, "select 1 from opskit.outbox_deliveries"), 80);
    } finally {
      await second.stop();
    }
  });
});
