import assert from "node:assert/strict";
import { test } from "node:test";
import { withTransaction } from "../db/index.js";
import { isOpskitError } from "../errors.js";
import { count, waitUntil, withPool } from "../../test/jobs.js";
import { createQueue } from "./create-queue.js";
import { defineSchedule } from "./define-schedule.js";
import { defineTask } from "./define-task.js";
import { enqueueScheduledSlots, syncSchedules } from "./enqueue-scheduled-slots.js";
import { scheduleStatuses } from "./schedule-status.js";

const reconcile = defineTask("reconcile", async () => undefined);
const at = (iso: string) => new Date(iso);

async function slotsOf(pool: import("pg").Pool, name: string): Promise<string[]> {
  const { rows } = await pool.query<{ slot: string }>(
    "select meta->>'slot' as slot from opskit.jobs where meta->>'schedule' = $1 order by 1",
    [name],
  );
  return rows.map((r) => r.slot);
}

test("each slot is enqueued exactly once however many nodes tick at the same time", async () => {
  await withPool(async (pool) => {
    const every = defineSchedule({
      name: "every-minute",
      cron: "* * * * *",
      task: reconcile,
      missed: "backfill",
    });
    await withTransaction(pool, (tx) => syncSchedules(tx, [every]));
    await pool.query("update opskit.job_schedules set last_slot_at = $1", [
      at("2026-03-01T10:00:00Z"),
    ]);
    const now = at("2026-03-01T10:10:30Z");
    const added = await Promise.all(
      Array.from({ length: 6 }, () =>
        withTransaction(pool, (tx) => enqueueScheduledSlots(tx, [every], now)),
      ),
    );
    assert.equal(
      added.reduce((a, b) => a + b, 0),
      10,
    );
    const slots = await slotsOf(pool, "every-minute");
    assert.equal(slots.length, 10);
    assert.equal(new Set(slots).size, 10);
    assert.equal(slots[0], "2026-03-01T10:01:00.000Z");
    assert.equal(slots.at(-1), "2026-03-01T10:10:00.000Z");
    // A later tick within the same minute adds nothing.
    assert.equal(
      await withTransaction(pool, (tx) =>
        enqueueScheduledSlots(tx, [every], at("2026-03-01T10:10:59Z")),
      ),
      0,
    );
  });
});

test("missed runs: skip drops them, once runs one, backfill runs each within its window", async () => {
  await withPool(async (pool) => {
    const hourly = (
      name: string,
      missed: "skip" | "once" | "backfill",
      backfillWindowMs?: number,
    ) =>
      defineSchedule({
        name,
        cron: "0 * * * *",
        task: reconcile,
        missed,
        ...(backfillWindowMs ? { backfillWindowMs } : {}),
      });
    const schedules = [
      hourly("skip", "skip"),
      hourly("once", "once"),
      hourly("backfill", "backfill", 3 * 3_600_000),
      hourly("short", "backfill", 3_600_000),
    ];
    await withTransaction(pool, (tx) => syncSchedules(tx, schedules));
    await pool.query("update opskit.job_schedules set last_slot_at = $1", [
      at("2026-03-01T08:00:00Z"),
    ]);
    // The service was down from 08:00 to 10:30: slots 09:00 and 10:00 were missed.
    await withTransaction(pool, (tx) =>
      enqueueScheduledSlots(tx, schedules, at("2026-03-01T10:30:00Z")),
    );
    assert.deepEqual(await slotsOf(pool, "skip"), []);
    assert.deepEqual(await slotsOf(pool, "once"), ["2026-03-01T10:00:00.000Z"]);
    assert.deepEqual(await slotsOf(pool, "backfill"), [
      "2026-03-01T09:00:00.000Z",
      "2026-03-01T10:00:00.000Z",
    ]);
    assert.deepEqual(await slotsOf(pool, "short"), ["2026-03-01T10:00:00.000Z"]);
    // On time (seen within a minute of the slot), skip runs it.
    await withTransaction(pool, (tx) =>
      enqueueScheduledSlots(tx, schedules, at("2026-03-01T11:00:20Z")),
    );
    assert.deepEqual(await slotsOf(pool, "skip"), ["2026-03-01T11:00:00.000Z"]);
  });
});

test("patterns are read in the schedule's time zone; bad patterns and zones are refused", async () => {
  await withPool(async (pool) => {
    const ny = defineSchedule({
      name: "ny",
      cron: "0 9 * * *",
      timezone: "America/New_York",
      task: reconcile,
      missed: "once",
    });
    await withTransaction(pool, (tx) => syncSchedules(tx, [ny]));
    await pool.query("update opskit.job_schedules set last_slot_at = $1", [
      at("2026-01-10T00:00:00Z"),
    ]);
    await withTransaction(pool, (tx) =>
      enqueueScheduledSlots(tx, [ny], at("2026-01-10T16:00:00Z")),
    );
    assert.deepEqual(await slotsOf(pool, "ny"), ["2026-01-10T14:00:00.000Z"]);
    assert.throws(
      () => defineSchedule({ name: "x", cron: "61 * * * *", task: reconcile }),
      (e) => isOpskitError(e, "JOB_TASK_INVALID"),
    );
    assert.throws(
      () =>
        defineSchedule({ name: "x", cron: "* * * * *", timezone: "Mars/Olympus", task: reconcile }),
      (e) => isOpskitError(e, "JOB_TASK_INVALID"),
    );
  });
});

test("dead-man's switch: late once a due slot has not succeeded within grace; a success clears it", async () => {
  await withPool(async (pool) => {
    const nightly = defineSchedule({
      name: "nightly",
      cron: "0 3 * * *",
      task: reconcile,
      graceMs: 600_000,
    });
    await withTransaction(pool, (tx) => syncSchedules(tx, [nightly]));
    await pool.query("update opskit.job_schedules set created_at = $1", [
      at("2026-03-01T00:00:00Z"),
    ]);
    const status = async (iso: string) => (await scheduleStatuses(pool, at(iso)))[0]!;
    assert.equal((await status("2026-03-01T02:00:00Z")).late, false, "no slot due yet");
    assert.equal((await status("2026-03-01T03:05:00Z")).late, false, "within grace");
    const late = await status("2026-03-01T03:11:00Z");
    assert.equal(late.late, true);
    assert.equal(late.dueSlot?.toISOString(), "2026-03-01T03:00:00.000Z");
    await pool.query("update opskit.job_schedules set last_success_at = $1", [
      at("2026-03-01T03:02:00Z"),
    ]);
    assert.equal((await status("2026-03-01T03:11:00Z")).late, false);
    assert.equal((await status("2026-03-02T03:11:00Z")).late, true, "the next night failed");
  });
});

test("live: three nodes with an every-second schedule run each slot once and record its success", async () => {
  await withPool(async (pool) => {
    const tick = defineTask("tick", async () => undefined);
    const schedule = defineSchedule({ name: "every-second", cron: "* * * * * *", task: tick });
    const nodes = [1, 2, 3].map(() => createQueue({ pool, tasks: [tick], schedules: [schedule] }));
    const workers = nodes.map((q) => q.work({ pollIntervalMs: 100, heartbeatIntervalMs: 200 }));
    await waitUntil(
      async () =>
        (await count(
          pool,
          "select 1 from opskit.job_history where meta->>'schedule' = 'every-second'",
        )) >= 3,
      "3 slots ran",
    );
    await Promise.all(workers.map((w) => w.stop()));
    const { rows } = await pool.query<{ slot: string; n: number }>(
      `select meta->>'slot' as slot, count(*)::int as n from (
         select meta from opskit.job_history union all select meta from opskit.jobs) x
       where meta->>'schedule' = 'every-second' group by 1`,
    );
    assert.ok(
      rows.every((r) => r.n === 1),
      JSON.stringify(rows),
    );
    const [status] = await nodes[0]!.schedules();
    assert.ok(status?.lastSuccessAt instanceof Date);
  });
});
