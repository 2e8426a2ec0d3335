import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { Pool } from "../db/index.js";
import type { ClaimedJob, Outcome, Settlement } from "./job.js";
import { scheduleStatuses } from "./schedule-status.js";
import { jobStats } from "./sql/inspect-jobs.js";

export interface JobMetrics {
  claimed(count: number): void;
  started(job: ClaimedJob, claimToStartSeconds: number): void;
  finished(job: ClaimedJob, outcome: Outcome | undefined, runSeconds: number): void;
  settled(batch: Settlement[], applied: Map<string, string>): void;
  heartbeat(epochMs: number): void;
  /** Finished runs whose written outcome is awaited (to label its counter by task). */
  awaitingOutcome(): number;
}

const DURATION_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 1800, 3600];
const WAIT_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5];

export interface JobMetricsOptions {
  /** How long a database read serves scrapes; default 5 s. */
  cacheMs?: number;
  /** The queues of the queue's own tasks: always reported, 0 when empty. */
  queues?: readonly string[];
}

const STATES = ["scheduled", "ready", "running", "stuck", "dead"] as const;

/**
 * The queue's metrics on `registry`: counters and histograms fed by the
 * worker, and gauges read from the database at scrape time (depth by queue
 * and state, oldest ready age, the schedules' last success and late flag),
 * cached for `cacheMs` so frequent scrapes cost one query. Depth and oldest
 * ready age are reported for every queue of the tasks and every queue seen
 * since, 0 when empty: a series that vanishes when its queue drains reads as
 * "no data" in a dashboard and silences a `> 0` alert's resolution.
 */
export function createJobMetrics(
  registry: Registry,
  pool: Pool,
  options: JobMetricsOptions = {},
): JobMetrics {
  const cacheMs = options.cacheMs ?? 5_000;
  const knownQueues = new Set(options.queues ?? []);
  const registers = [registry];
  const claimedTotal = new Counter({
    name: "opskit_jobs_claimed_total",
    help: "Jobs claimed by this process's workers.",
    registers,
  });
  const completed = new Counter({
    name: "opskit_jobs_completed_total",
    help: "Jobs completed.",
    labelNames: ["task"],
    registers,
  });
  const failed = new Counter({
    name: "opskit_jobs_failed_total",
    help: "Failed attempts (retried or dead).",
    labelNames: ["task"],
    registers,
  });
  const dead = new Counter({
    name: "opskit_jobs_dead_total",
    help: "Jobs that became dead.",
    labelNames: ["task"],
    registers,
  });
  const claimToStart = new Histogram({
    name: "opskit_jobs_claim_to_start_seconds",
    help: "Time a claimed job waited in the worker's local buffer before its handler started.",
    labelNames: ["queue"],
    buckets: WAIT_BUCKETS,
    registers,
  });
  const runDuration = new Histogram({
    name: "opskit_jobs_run_duration_seconds",
    help: "Handler run time by task and outcome.",
    labelNames: ["task", "outcome"],
    buckets: DURATION_BUCKETS,
    registers,
  });
  const heartbeat = new Gauge({
    name: "opskit_jobs_worker_heartbeat_timestamp_seconds",
    help: "When this process's worker last wrote its heartbeat.",
    registers,
  });

  let cached: Promise<Awaited<ReturnType<typeof read>>> | undefined;
  let cachedAt = 0;
  const read = async () => ({
    stats: await jobStats(pool),
    schedules: await scheduleStatuses(pool),
  });
  const snapshot = () => {
    if (!cached || Date.now() - cachedAt > cacheMs) {
      cachedAt = Date.now();
      cached = read();
      cached.catch(() => (cached = undefined));
    }
    return cached;
  };
  // The database's rows (queues with jobs, dead jobs or settings), plus a
  // zero row for every other known queue.
  const queueStats = async () => {
    const { stats } = await snapshot();
    for (const q of stats) knownQueues.add(q.queue);
    const zero = {
      scheduled: 0,
      ready: 0,
      running: 0,
      stuck: 0,
      dead: 0,
      oldestReadyAgeSeconds: 0,
    };
    const byQueue = new Map(stats.map((q) => [q.queue, q]));
    return [...knownQueues].sort().map((queue) => byQueue.get(queue) ?? { queue, ...zero });
  };
  new Gauge({
    name: "opskit_jobs_depth",
    help: "Jobs by queue and state (scheduled, ready, running, stuck, dead).",
    labelNames: ["queue", "state"],
    registers,
    async collect() {
      this.reset();
      for (const q of await queueStats()) {
        for (const state of STATES) this.set({ queue: q.queue, state }, q[state]);
      }
    },
  });
  new Gauge({
    name: "opskit_jobs_oldest_ready_age_seconds",
    help: "Seconds since the oldest ready job of the queue became due.",
    labelNames: ["queue"],
    registers,
    async collect() {
      this.reset();
      for (const q of await queueStats()) this.set({ queue: q.queue }, q.oldestReadyAgeSeconds);
    },
  });
  new Gauge({
    name: "opskit_jobs_cron_last_success_timestamp_seconds",
    help: "When a job of the schedule last completed (0: never).",
    labelNames: ["schedule"],
    registers,
    async collect() {
      this.reset();
      for (const s of (await snapshot()).schedules) {
        this.set({ schedule: s.name }, s.lastSuccessAt ? s.lastSuccessAt.getTime() / 1000 : 0);
      }
    },
  });
  new Gauge({
    name: "opskit_jobs_cron_late",
    help: "1 when the schedule's dead-man's switch fired: a slot has not succeeded within its grace.",
    labelNames: ["schedule"],
    registers,
    async collect() {
      this.reset();
      for (const s of (await snapshot()).schedules) this.set({ schedule: s.name }, s.late ? 1 : 0);
    },
  });

  // Job id → task of a finished run, until its outcome is written (settled).
  // Only runs that have an outcome to write are kept: a run cut short by a
  // lost lease has none, so nothing would ever take its entry out again.
  const tasksById = new Map<string, string>();
  return {
    claimed: (n) => claimedTotal.inc(n),
    started(job, seconds) {
      claimToStart.observe({ queue: job.queue }, seconds);
    },
    finished(job, outcome, seconds) {
      runDuration.observe({ task: job.task, outcome: outcome ?? "lease_lost" }, seconds);
      if (outcome !== undefined) tasksById.set(job.id, job.task);
    },
    settled(batch, applied) {
      for (const s of batch) {
        const task = tasksById.get(s.id) ?? "unknown";
        tasksById.delete(s.id);
        const outcome = applied.get(s.id);
        if (outcome === "completed") completed.inc({ task });
        else if (outcome === "retry") failed.inc({ task });
        else if (outcome === "dead") {
          failed.inc({ task });
          dead.inc({ task });
        }
      }
    },
    heartbeat: (ms) => heartbeat.set(ms / 1000),
    awaitingOutcome: () => tasksById.size,
  };
}
