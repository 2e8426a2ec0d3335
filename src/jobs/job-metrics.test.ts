import assert from "node:assert/strict";
import { test } from "node:test";
import { createMetrics, lintMetricNames } from "../metrics/index.js";
import { withTransaction } from "../db/index.js";
import { count, waitUntil, withPool } from "../../test/jobs.js";
import { createQueue } from "./create-queue.js";
import { defineSchedule } from "./define-schedule.js";
import { defineTask } from "./define-task.js";
import { syncSchedules } from "./enqueue-scheduled-slots.js";
import { schedulesCheck, workerHeartbeatCheck } from "./job-checks.js";
import type { ClaimedJob, Settlement } from "./job.js";
import { createJobMetrics } from "./job-metrics.js";

test("metrics: totals, histograms, depth by state, oldest ready age, schedules; names pass the lint", async () => {
  await withPool(async (pool) => {
    const metrics = createMetrics({ defaultMetrics: false });
    const ok = defineTask("ok", async () => undefined);
    const bad = defineTask(
      "bad",
      async () => {
        throw new Error("no");
      },
      { maxAttempts: 1 },
    );
    const idle = defineTask("idle", async () => undefined, { queue: "later" });
    const nightly = defineSchedule({ name: "nightly", cron: "0 3 * * *", task: ok });
    const queue = createQueue({
      pool,
      tasks: [ok, bad, idle],
      schedules: [nightly],
      registry: metrics.registry,
    });
    await queue.addMany([
      { task: ok, payload: {} },
      { task: ok, payload: {} },
      { task: bad, payload: {} },
    ]);
    await queue.add(idle, {}, { delayMs: 3_600_000 });
    const worker = queue.work({
      queues: ["default"],
      pollIntervalMs: 50,
      heartbeatIntervalMs: 100,
    });
    await waitUntil(
      async () => (await count(pool, "select 1 from opskit.jobs where queue = 'default'")) === 0,
      "default drained",
    );
    await waitUntil(
      async () => /opskit_jobs_dead_total\{task="bad"\} 1/.test(await metrics.registry.metrics()),
      "outcomes written",
    );
    // The schedules reach their table with the worker's first maintenance round.
    await waitUntil(
      async () => /cron_late\{schedule="nightly"\}/.test(await metrics.registry.metrics()),
      "schedules synced",
    );
    const text = await metrics.registry.metrics();
    assert.match(text, /opskit_jobs_completed_total\{task="ok"\} 2/);
    assert.match(text, /opskit_jobs_failed_total\{task="bad"\} 1/);
    assert.match(text, /opskit_jobs_claimed_total 3/);
    assert.match(text, /opskit_jobs_claim_to_start_seconds_count\{queue="default"\} 3/);
    assert.match(text, /opskit_jobs_run_duration_seconds_count\{task="ok",outcome="completed"\} 2/);
    assert.match(text, /opskit_jobs_depth\{queue="default",state="dead"\} 1/);
    assert.match(text, /opskit_jobs_depth\{queue="later",state="scheduled"\} 1/);
    assert.match(text, /opskit_jobs_oldest_ready_age_seconds\{queue="default"\} 0/);
    assert.match(text, /opskit_jobs_worker_heartbeat_timestamp_seconds \d+/);
    assert.match(text, /opskit_jobs_cron_last_success_timestamp_seconds\{schedule="nightly"\} 0/);
    assert.match(text, /opskit_jobs_cron_late\{schedule="nightly"\} 0/);
    assert.deepEqual(lintMetricNames(metrics.registry), []);
    await worker.stop();
    metrics.close();
  });
});

test("health: the worker's heartbeat check, and late schedules warn", async () => {
  await withPool(async (pool) => {
    const ok = defineTask("ok", async () => undefined);
    const queue = createQueue({ pool, tasks: [ok] });
    const worker = queue.work({ pollIntervalMs: 50, heartbeatIntervalMs: 100 });
    const check = workerHeartbeatCheck(worker);
    await waitUntil(() => worker.lastHeartbeatAt() !== undefined, "first heartbeat");
    const signal = new AbortController().signal;
    assert.equal((await check.run(signal))?.status, "pass");
    await worker.stop();
    // A stopped worker's heartbeat grows old: readiness would fail.
    await waitUntil(
      () => Date.now() - worker.lastHeartbeatAt()! > 3 * worker.heartbeatIntervalMs,
      "heartbeat aged",
    );
    assert.equal((await check.run(signal))?.status, "fail");

    const schedules = schedulesCheck(pool);
    assert.equal((await schedules.run(signal))?.status, "pass");
    const every = defineSchedule({
      name: "every-minute",
      cron: "* * * * *",
      task: ok,
      graceMs: 1_000,
    });
    await withTransaction(pool, (tx) => syncSchedules(tx, [every]));
    await pool.query("update opskit.job_schedules set created_at = now() - interval '10 minutes'");
    const late = await schedules.run(signal);
    assert.equal(late?.status, "warn");
    assert.match(late?.output ?? "", /every-minute/);
    assert.equal(schedules.critical, false);
  });
});

test("metrics: with every queue empty, depth and oldest ready age report 0 per queue instead of vanishing", async () => {
  await withPool(async (pool) => {
    const metrics = createMetrics({ defaultMetrics: false });
    const ok = defineTask("ok", async () => undefined);
    const idle = defineTask("idle", async () => undefined, { queue: "later" });
    const queue = createQueue({ pool, tasks: [ok, idle], registry: metrics.registry });
    const empty = await metrics.registry.metrics();
    for (const name of ["default", "later"]) {
      assert.match(empty, new RegExp(`opskit_jobs_depth\\{queue="${name}",state="ready"\\} 0`));
      assert.match(
        empty,
        new RegExp(`opskit_jobs_oldest_ready_age_seconds\\{queue="${name}"\\} 0`),
      );
    }
    // A queue that had work and drained (its jobs completed, nothing dead) still reports 0.
    await queue.add(ok, {});
    const worker = queue.work({ pollIntervalMs: 50 });
    await waitUntil(async () => (await count(pool, "select 1 from opskit.jobs")) === 0, "drained");
    await worker.stop();
    const fresh = createMetrics({ defaultMetrics: false });
    createQueue({ pool, tasks: [ok], registry: fresh.registry });
    assert.match(
      await fresh.registry.metrics(),
      /opskit_jobs_depth\{queue="default",state="running"\} 0/,
    );
    metrics.close();
    fresh.close();
  });
});

test("metrics: a run cut short by a lost lease leaves nothing behind; written outcomes count by task", async () => {
  await withPool(async (pool) => {
    const metrics = createMetrics({ defaultMetrics: false });
    const jobMetrics = createJobMetrics(metrics.registry, pool);
    const job = (i: number): ClaimedJob => ({
      id: String(i),
      task: "push",
      queue: "default",
      payload: {},
      attempts: 1,
      max_attempts: 3,
      backoff: null,
      timeout_ms: null,
      checkpoint: null,
      meta: null,
    });
    // 1,000 runs whose lease was lost: no outcome is written for them, so no settle ever comes.
    for (let i = 0; i < 1_000; i++) jobMetrics.finished(job(i), undefined, 0.01);
    assert.equal(jobMetrics.awaitingOutcome(), 0);
    // 1,000 runs with an outcome: kept until their batch is written, then gone.
    for (let i = 1_000; i < 2_000; i++) jobMetrics.finished(job(i), "completed", 0.01);
    assert.equal(jobMetrics.awaitingOutcome(), 1_000);
    const batch: Settlement[] = Array.from({ length: 1_000 }, (_, k) => ({
      id: String(1_000 + k),
      attempt: 1,
      worker: "w",
      outcome: "completed",
    }));
    jobMetrics.settled(batch, new Map(batch.map((s) => [s.id, "completed"])));
    assert.equal(jobMetrics.awaitingOutcome(), 0);
    const text = await metrics.registry.metrics();
    assert.match(text, /opskit_jobs_completed_total\{task="push"\} 1000/);
    assert.match(
      text,
      /opskit_jobs_run_duration_seconds_count\{task="push",outcome="lease_lost"\} 1000/,
    );
  });
});
