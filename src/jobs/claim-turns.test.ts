/**
 * Claims take turns (migration 0013), and the settle statement for a batch
 * of completed jobs writes what the general one writes.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Pool } from "../db/index.js";
import { count, waitUntil, withPool } from "../../test/jobs.js";
import { createQueue } from "./create-queue.js";
import { defineTask } from "./define-task.js";
import { claimJobs } from "./sql/claim-jobs.js";
import { settleJobs } from "./sql/settle-jobs.js";

/** Claims up to `limit` jobs of the default queue for `worker`, as a worker does. */
const claimAs = (worker: string, pool: Pool, task: string, limit: number) =>
  claimJobs(pool, {
    worker,
    queues: ["default"],
    tasks: [task],
    limit,
    leaseMs: 30_000,
    prepared: false,
  });

test("a batch of completed jobs is written as the general settle statement writes it", async () => {
  await withPool(async (pool) => {
    const task = defineTask("same-rows", async () => undefined);
    const queue = createQueue({ pool, tasks: [task] });
    await queue.addMany(
      Array.from({ length: 6 }, (_, n) => ({
        task,
        payload: { n },
        fifoKey: n % 2 === 0 ? undefined : `k${n}`,
      })),
    );
    const claimed = await claimAs("W", pool, task.name, 6);
    assert.equal(claimed.length, 6);
    const startedAt = new Date("2026-12-04T10:00:00.000Z");
    const outcome = (j: (typeof claimed)[number]) => ({
      id: j.id,
      attempt: j.attempts,
      worker: "W",
      outcome: "completed" as const,
      startedAt,
    });
    const opts = { keepHistory: true, prepared: false };
    // All completed (the lean statement), then the same with one retry beside them (the general one).
    const first = await settleJobs(pool, claimed.slice(0, 3).map(outcome), opts);
    const second = await settleJobs(
      pool,
      [
        ...claimed.slice(3, 5).map(outcome),
        { ...outcome(claimed[5]!), outcome: "retry" as const, delayMs: 0 },
      ],
      opts,
    );
    assert.equal(first.applied.size, 3);
    assert.deepEqual([...second.applied.values()].sort(), ["completed", "completed", "retry"]);
    const { rows } = await pool.query<Record<string, unknown>>(
      `select payload->>'n' as n, task, queue, state, priority, attempts, max_attempts,
              dedupe_key, fifo_key is not null as fifo, meta, progress, checkpoint, errors,
              started_at, finished_at is not null as finished
         from opskit.job_history order by (payload->>'n')::int`,
    );
    const { n: _n0, fifo: _f0, ...lean } = rows[0]!;
    for (const row of rows) {
      const { n: _n, fifo: _f, ...rest } = row;
      assert.deepEqual(rest, lean, `history row ${String(row.n)} as the others`);
    }
    assert.deepEqual(
      rows.map((r) => r.n),
      ["0", "1", "2", "3", "4"],
    );
    assert.deepEqual(lean.started_at, startedAt);
    // A late outcome of the lean statement is fenced out like the general one's.
    const late = await settleJobs(pool, claimed.slice(0, 1).map(outcome), opts);
    assert.equal(late.applied.size, 0);
  });
});

test("claims take turns: a claim waits while another holds the claim lock, then runs", async () => {
  await withPool(async (pool) => {
    const task = defineTask("turns", async () => undefined);
    const queue = createQueue({ pool, tasks: [task] });
    await queue.addMany(Array.from({ length: 4 }, () => ({ task, payload: {} })));
    const holder = await pool.connect();
    try {
      // What a claim in progress holds (migration 0013): the turn, for its own transaction.
      await holder.query("begin");
      await holder.query("select pg_advisory_xact_lock(1868722539, 2)");
      const claim = claimAs("W", pool, task.name, 4);
      await waitUntil(
        async () =>
          (await count(
            pool,
            `select 1 from pg_locks
              where locktype = 'advisory' and classid = 1868722539 and objid = 2 and not granted`,
          )) === 1,
        "the claim waits for its turn",
      );
      assert.equal(await count(pool, "select 1 from opskit.jobs where state = 'running'"), 0);
      await holder.query("commit");
      assert.equal((await claim).length, 4);
    } finally {
      holder.release();
    }
  });
});

test("a claim with nothing ready does not wait for a turn", async () => {
  await withPool(async (pool) => {
    const task = defineTask("nothing-ready", async () => undefined);
    const queue = createQueue({ pool, tasks: [task] });
    // Ready jobs of another queue and task only.
    const other = defineTask("elsewhere", async () => undefined, { queue: "other" });
    await createQueue({ pool, tasks: [other] }).add(other, {});
    await queue.add(task, {}, { runAt: new Date(Date.now() + 3_600_000) });
    const holder = await pool.connect();
    try {
      await holder.query("begin");
      await holder.query("select pg_advisory_xact_lock(1868722539, 2)");
      const claimed = await claimAs("W", pool, task.name, 10);
      assert.deepEqual(claimed, []);
      await holder.query("commit");
    } finally {
      holder.release();
    }
  });
});
