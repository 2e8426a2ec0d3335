/**
 * Claims take turns (migration 0013). The worker's claims while a backlog waits: two in flight (the claim loop's
 * and the second claimer's), never more, never past the worker's capacity,
 * and one at a time again once the backlog is gone. The settle statement for
 * a batch of completed jobs writes what the general one writes.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Pool } from "../db/index.js";
import { count, waitUntil, withPool } from "../../test/jobs.js";
import { createQueue } from "./create-queue.js";
import { defineTask } from "./define-task.js";
import { claimJobs } from "./sql/claim-jobs.js";
import { settleJobs } from "./sql/settle-jobs.js";

/** Counts the claim statements in flight on `pool`, and the most at once. */
function watchClaims(pool: Pool) {
  const seen = { now: 0, most: 0, total: 0, asked: [] as number[] };
  const query = pool.query.bind(pool) as (...args: unknown[]) => Promise<unknown>;
  (pool as { query: unknown }).query = async (...args: unknown[]) => {
    const q = args[0] as { name?: string; values?: unknown[] } | string;
    const claim = typeof q === "object" && q.name === "opskit_claim_jobs";
    if (!claim) return query(...args);
    seen.now++;
    seen.total++;
    seen.most = Math.max(seen.most, seen.now);
    seen.asked.push(q.values![3] as number);
    try {
      return await query(...args);
    } finally {
      seen.now--;
    }
  };
  return seen;
}

test("with a backlog, two claims are in flight at most, within the worker's capacity", async () => {
  await withPool(async (pool) => {
    const claims = watchClaims(pool);
    let running = 0;
    let mostRunning = 0;
    const task = defineTask("tiny", async () => {
      mostRunning = Math.max(mostRunning, ++running);
      await Promise.resolve();
      running--;
    });
    const queue = createQueue({ pool, tasks: [task] });
    await queue.addMany(Array.from({ length: 3_000 }, () => ({ task, payload: {} })));
    const concurrency = 4;
    const prefetch = 40;
    const worker = queue.work({ concurrency, prefetch, batchSize: 20, pollIntervalMs: 50 });
    let mostHeld = 0;
    const sampler = setInterval(() => {
      const { running: r, buffered } = worker.load();
      mostHeld = Math.max(mostHeld, r + buffered);
    }, 1);
    await waitUntil(
      async () => (await count(pool, "select 1 from opskit.job_history")) === 3_000,
      "3,000 completed",
    );
    clearInterval(sampler);
    const whileBacklog = claims.most;
    // Idle again: the second claimer waits for a poke and never polls.
    const before = claims.total;
    await new Promise((r) => setTimeout(r, 300));
    const idleClaims = claims.total - before;
    assert.equal(await worker.stop(), true);
    assert.equal(whileBacklog, 2, "two claims in flight while the backlog waited");
    assert.ok(
      claims.asked.every((n) => n >= 1 && n <= 20),
      "no claim asked past batchSize",
    );
    assert.ok(mostHeld <= concurrency + prefetch, `held ${mostHeld} jobs at most`);
    assert.ok(mostRunning <= concurrency);
    // One poll per 50 ms from the claim loop alone (the second claimer adds none).
    assert.ok(idleClaims <= 300 / 50 + 2, `${idleClaims} claims in 300 ms idle`);
  });
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
    const claimed = await claimJobs(pool, {
      worker: "W",
      queues: ["default"],
      tasks: [task.name],
      limit: 6,
      leaseMs: 30_000,
      prepared: false,
    });
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
      const claim = claimJobs(pool, {
        worker: "W",
        queues: ["default"],
        tasks: [task.name],
        limit: 4,
        leaseMs: 30_000,
        prepared: false,
      });
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
