import type { Registry } from "prom-client";
import type { Pool } from "../db/index.js";
import { OpskitError } from "../errors.js";
import { createLogger, type Logger } from "../log/index.js";
import type { Schedule } from "./define-schedule.js";
import { parsePayload, type AnyTask, type Task } from "./define-task.js";
import { createWorker, type WorkOptions, type Worker } from "./create-worker.js";
import type { AddOptions, AddResult, Queryable } from "./job.js";
import { createJobMetrics, type JobMetrics } from "./job-metrics.js";
import { rescueExpiredJobs, type RescueResult } from "./rescue-expired-jobs.js";
import { createMaintenance, type MaintenanceResult } from "./run-maintenance.js";
import { scheduleStatuses, type ScheduleStatus } from "./schedule-status.js";
import { insertJobs, type JobSpec } from "./sql/insert-jobs.js";
import {
  findJob,
  jobStats,
  listJobs,
  type JobState,
  type JobSummary,
  type QueueStats,
} from "./sql/inspect-jobs.js";
import {
  cancelJob,
  pauseQueue,
  resumeQueue,
  retryDeadJob,
  setQueueConcurrency,
  type CancelResult,
} from "./sql/queue-admin.js";

export interface CreateQueueOptions {
  pool: Pool;
  tasks: AnyTask[];
  schedules?: Schedule[];
  /** Default: a silent logger. */
  log?: Logger;
  /** Registers the queue's metrics here (a service's `metrics.registry`). */
  registry?: Registry;
  /** Keep completed and cancelled jobs in opskit.job_history; default true. */
  keepHistory?: boolean;
  /** Default 7 days. */
  historyRetentionMs?: number;
  /** Default 30 days. */
  deadRetentionMs?: number;
  /** Named prepared statements on the hot path; default true. False through a transaction-mode pooler. */
  preparedStatements?: boolean;
}

/** One job for `addMany`. */
export interface JobToAdd extends Omit<AddOptions, "tx"> {
  task: AnyTask | string;
  /** Checked against the task's schema. */
  payload: unknown;
}

export interface Queue {
  /** Adds a job; with `{ tx }` it commits with the caller's transaction. */
  add<P>(task: Task<P> | string, payload: P, options?: AddOptions): Promise<AddResult>;
  /** Adds many jobs in one statement; results in the same order. */
  addMany(jobs: JobToAdd[], options?: { tx?: Queryable }): Promise<AddResult[]>;
  /** Starts a worker (and the maintenance loop unless `maintenance: false`). */
  work(options?: WorkOptions & { maintenance?: boolean }): Worker;
  cancel(id: string): Promise<CancelResult>;
  /** Retries a dead job now; false when there is no dead job with that id. */
  retry(id: string): Promise<boolean>;
  pause(queue: string): Promise<void>;
  resume(queue: string): Promise<void>;
  setGlobalConcurrency(queue: string, concurrency: number | null): Promise<void>;
  stats(): Promise<QueueStats[]>;
  list(filter: {
    state: JobState;
    queue?: string;
    task?: string;
    limit?: number;
  }): Promise<JobSummary[]>;
  get(id: string): Promise<Record<string, unknown> | undefined>;
  schedules(): Promise<ScheduleStatus[]>;
  /** Releases jobs whose lease expired now, without waiting for the rescuer. */
  rescue(): Promise<RescueResult>;
  /** One maintenance round now (promote, rescue, cron, prune when due). */
  maintain(): Promise<MaintenanceResult>;
  /** Stops every worker this queue started (each within `budgetMs`). */
  close(budgetMs?: number): Promise<boolean>;
  readonly tasks: ReadonlyMap<string, AnyTask>;
}

/**
 * The job queue on a pool: add jobs (in the caller's transaction when given
 * one), run workers, and operate it.
 *
 * @example
 * const queue = createQueue({ pool, tasks: [sendReceipt] });
 * await withTransaction(pool, async (tx) => {
 *   await tx.query("insert into orders …");
 *   await queue.add(sendReceipt, { orderId }, { tx });
 * });
 * const worker = queue.work({ concurrency: 8 });
 * await worker.stop();
 */
export function createQueue(options: CreateQueueOptions): Queue {
  const tasks = new Map<string, AnyTask>();
  for (const task of options.tasks) {
    if (tasks.has(task.name)) {
      throw new OpskitError(
        "JOB_TASK_INVALID",
        `Two tasks are named "${task.name}"; task names must be unique.`,
      );
    }
    tasks.set(task.name, task);
  }
  const schedules = options.schedules ?? [];
  const names = new Set<string>();
  for (const s of schedules) {
    if (names.has(s.name))
      throw new OpskitError("JOB_TASK_INVALID", `Two schedules are named "${s.name}".`);
    if (!tasks.has(s.task.name)) {
      throw new OpskitError(
        "JOB_TASK_INVALID",
        `Schedule "${s.name}" runs task "${s.task.name}", which is not in tasks.`,
      );
    }
    names.add(s.name);
  }
  const pool = options.pool;
  const log = (options.log ?? createLogger({ level: "silent" })).child({ category: "jobs" });
  const keepHistory = options.keepHistory ?? true;
  const prepared = options.preparedStatements ?? true;
  let metrics: JobMetrics | undefined;
  if (options.registry) {
    metrics = createJobMetrics(options.registry, pool, {
      queues: [...tasks.values()].map((task) => task.options.queue ?? "default"),
    });
  }
  const maintenance = createMaintenance({
    pool,
    schedules,
    keepHistory,
    historyRetentionMs: options.historyRetentionMs,
    deadRetentionMs: options.deadRetentionMs,
    log,
  });
  const workers = new Set<Worker>();
  // One maintenance loop per queue, however many workers it starts.
  let maintainers = 0;

  const spec = (task: AnyTask | string, payload: unknown, o: Omit<AddOptions, "tx">): JobSpec => {
    const name = typeof task === "string" ? task : task.name;
    const known = tasks.get(name);
    if (!known) {
      throw new OpskitError(
        "JOB_UNKNOWN_TASK",
        `No task "${name}" in this queue; pass it to createQueue({ tasks }).`,
      );
    }
    const value: unknown = parsePayload(known, payload);
    const runAt =
      o.runAt ?? (o.delayMs !== undefined ? new Date(Date.now() + o.delayMs) : undefined);
    return {
      task: name,
      queue: o.queue ?? known.options.queue ?? "default",
      payload: value,
      priority: o.priority ?? known.options.priority,
      run_at: runAt?.toISOString(),
      max_attempts: o.maxAttempts ?? known.options.maxAttempts,
      backoff: o.backoff,
      timeout_ms: o.timeoutMs,
      dedupe_key: o.dedupeKey,
      fifo_key: o.fifoKey,
    };
  };

  return {
    tasks,
    async add(task, payload, o = {}) {
      const [result] = await insertJobs(o.tx ?? pool, [spec(task as AnyTask, payload, o)]);
      return result!;
    },
    async addMany(jobs, o = {}) {
      if (jobs.length === 0) return [];
      return insertJobs(
        o.tx ?? pool,
        jobs.map((j) => spec(j.task as AnyTask, j.payload, j)),
      );
    },
    work(o = {}) {
      const worker = createWorker({ pool, tasks, log, keepHistory, prepared, metrics }, o);
      const withMaintenance = o.maintenance ?? true;
      if (withMaintenance && maintainers++ === 0) maintenance.start(o.pollIntervalMs ?? 1_000);
      const handle: Worker = {
        ...worker,
        async stop(budgetMs) {
          if (withMaintenance && --maintainers === 0) await maintenance.stop();
          const ok = await worker.stop(budgetMs);
          workers.delete(handle);
          return ok;
        },
      };
      workers.add(handle);
      return handle;
    },
    cancel: (id) => cancelJob(pool, id),
    retry: (id) => retryDeadJob(pool, id),
    pause: (queue) => pauseQueue(pool, queue),
    resume: (queue) => resumeQueue(pool, queue),
    setGlobalConcurrency: (queue, n) => setQueueConcurrency(pool, queue, n),
    stats: () => jobStats(pool),
    list: (filter) => listJobs(pool, filter),
    get: (id) => findJob(pool, id),
    schedules: () => scheduleStatuses(pool),
    rescue: () => rescueExpiredJobs(pool, { keepHistory }),
    maintain: () => maintenance.run(),
    async close(budgetMs) {
      const results = await Promise.all([...workers].map((w) => w.stop(budgetMs)));
      return results.every(Boolean);
    },
  };
}
