import assert from "node:assert/strict";
import { test } from "node:test";
import pg from "pg";
import { Registry } from "prom-client";
import { createSeriesWindow, type RuleContext } from "../../alerts/index.js";
import { createLogger } from "../../log/index.js";
import { waitUntil } from "../../testing/index.js";
import { createLogicalOutboxReader } from "./logical-outbox-reader.js";
import { incompressible, withOutboxDb, type OutboxTestDb } from "./logical-test-fixture.js";
import { startSlotLagGuard } from "./slot-lag-guard.js";
import { outboxSlotLagRule } from "./slot-lag-rule.js";

const silent = () => createLogger({ level: "warn", destination: { write: () => undefined } });

async function slotExists(db: OutboxTestDb, slot = db.slotName): Promise<boolean> {
  const { rowCount } = await db.pool.query(
    "select 1 from pg_replication_slots where slot_name = $1",
    [slot],
  );
  return rowCount === 1;
}

test("a slot whose reader was stopped while writes go on is dropped by the guard at its budget", async () => {
  await withOutboxDb(async (db) => {
    const reader = createLogicalOutboxReader({
      connectionString: db.url,
      slotName: db.slotName,
      publicationName: db.publicationName,
      maxSlotLagBytes: 1024 ** 3,
      log: silent(),
      onRows: async () => undefined,
    });
    await reader.start();
    await reader.stop(); // the slot stays, to resume from its position
    assert.ok(await slotExists(db));

    const registry = new Registry();
    const drops: number[] = [];
    const guard = startSlotLagGuard({
      db: db.pool,
      slotName: db.slotName,
      maxSlotLagBytes: 1024 * 1024,
      intervalMs: 100,
      log: silent(),
      registry,
      onDropped: (lag) => void drops.push(lag),
    });
    try {
      const first = await guard.check();
      assert.equal(first.slot, "within-budget");
      assert.match(await registry.metrics(), /opskit_outbox_slot_lag_bytes\{slot="t_outbox_/);
      for (let i = 0; drops.length === 0 && i < 400; i++) {
        await db.insert([{ blob: incompressible(64 * 1024) }]);
      }
      await waitUntil(() => drops.length === 1, "the guard dropped the slot");
      assert.ok(drops[0]! > 1024 * 1024);
      assert.equal(await slotExists(db), false);
      assert.equal(guard.lagBytes(), undefined);
      const metrics = await registry.metrics();
      assert.doesNotMatch(
        metrics,
        /opskit_outbox_slot_lag_bytes\{/,
        "no series for a dropped slot",
      );
      assert.match(metrics, /opskit_outbox_slot_dropped_total\{slot="t_outbox_\w+"\} 1/);
    } finally {
      await guard.stop();
    }
  });
});

test("an idle reader follows WAL written by other tables, so a quiet outbox holds nothing back", async () => {
  await withOutboxDb(async (db) => {
    const reader = createLogicalOutboxReader({
      connectionString: db.url,
      slotName: db.slotName,
      publicationName: db.publicationName,
      maxSlotLagBytes: 1024 ** 3,
      log: silent(),
      onRows: async () => undefined,
    });
    await reader.start();
    try {
      await db.pool.query("create table other (v text)");
      await db.pool.query("insert into other select $1 from generate_series(1, 64)", [
        incompressible(32 * 1024),
      ]);
      const { rows } = await db.pool.query<{ lsn: string }>(
        "select pg_current_wal_lsn()::text as lsn",
      );
      await waitUntil(
        async () =>
          (
            await db.pool.query(
              "select 1 from pg_replication_slots where slot_name = $1 and confirmed_flush_lsn >= $2::pg_lsn",
              [db.slotName, rows[0]!.lsn],
            )
          ).rowCount === 1,
        "the slot confirmed past the other table's writes",
      );
    } finally {
      await reader.stop();
    }
  });
});

test("a broken replication connection is reopened from the confirmed position: no row is lost", async () => {
  await withOutboxDb(async (db) => {
    const seen: string[] = [];
    const errors: Error[] = [];
    const reader = createLogicalOutboxReader({
      connectionString: db.url,
      slotName: db.slotName,
      publicationName: db.publicationName,
      maxSlotLagBytes: 1024 ** 3,
      log: silent(),
      onRows: async (rows) => void seen.push(...rows.map((r) => r.id)),
    });
    reader.on("error", (e) => void errors.push(e));
    await reader.start();
    try {
      const before = await db.insert([{ n: 1 }]);
      await waitUntil(() => seen.includes(before[0]!), "first row");
      await db.pool.query(
        "select pg_terminate_backend(active_pid) from pg_replication_slots where slot_name = $1",
        [db.slotName],
      );
      const during = await db.insert([{ n: 2 }, { n: 3 }]);
      await waitUntil(
        () => during.every((id) => seen.includes(id)),
        "rows written while it was down",
      );
      assert.ok(errors.length >= 1, "the break was reported");
      assert.equal(reader.running, true);
    } finally {
      await reader.stop();
    }
  });
});

test("OutboxSlotLagHigh fires for an outbox slot behind by more than its threshold", async () => {
  await withOutboxDb(async (db) => {
    const slot = `opskit_outbox_${db.slotName.slice(-8)}`;
    await db.pool.query("select pg_create_logical_replication_slot($1, 'pgoutput')", [slot]);
    const rule = outboxSlotLagRule({ thresholdBytes: 256 * 1024, forMs: 0 });
    const ctx = (pool: pg.Pool): RuleContext => ({
      pool,
      registry: undefined,
      health: undefined,
      migrations: [],
      series: createSeriesWindow(),
      now: Date.now(),
      once: (_key, read) => read(),
    });
    assert.deepEqual(await rule.evaluate(ctx(db.pool)), [], "not behind yet");
    await db.insert([{ blob: incompressible(2 * 1024 * 1024) }]); // well past it, even if TOAST compresses it
    const samples = await rule.evaluate(ctx(db.pool));
    assert.equal(samples.length, 1);
    assert.deepEqual(samples[0]!.labels, { slot });
    assert.ok(samples[0]!.value > 256 * 1024);
  });
});
