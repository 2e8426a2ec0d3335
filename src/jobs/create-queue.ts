import type { Registry } from "prom-client";
import type { Pool, Queryable } from "../db/index.js";
import { OpskitError } from "../errors.js";
import { createLogger, getLogContext, type Logger } from "../log/index.js";
import type { Schedule } from "./define-schedule.js";
import { parsePayload, type AnyTask, type Task } from "./define-task.js";
import { createWorker, type WorkOptions, type Worker } from "./create-worker.js";
import type { AddOptions, AddResult } from "./job.js";
import { createJobMetrics, type JobMetrics } from "./job-metrics.js";
import { createEmitter, type EventSource } from "../typed-emitter.js";
import { createOutcomeEvents, type JobEvents } from "./job-events.js";
import { createJobsAdmin } from "./jobs-admin.js";
import type { RescueResult } from "./rescue-expired-jobs.js";
import { createMaintenance, type MaintenanceResult } from "./run-maintenance.js";
import type { ScheduleStatus } from "./schedule-status.js";
import { insertJobs, type JobSpec } from "./sql/insert-jobs.js";
import type { JobState, JobSummary, QueueStats } from "./sql/inspect-jobs.js";
import type { CancelResult } from "./sql/queue-admin.js";

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
  /**
   * Calls `listener` when a worker of this queue in this process has written
   * an outcome: `job.completed`, `job.failed` (will retry), `job.dead`.
   * Returns the unsubscribe. A throwing listener is logged, never propagated.
   */
  on: EventSource<JobEvents>["on"];
  /** Stops every worker this queue started (each within `budgetMs`). */
  close(budgetMs?: number): Promise<boolean>;
  readonly tasks: ReadonlyMap<string, AnyTask>;
  /** The cron schedules this queue was made with. */
  readonly declaredSchedules: readonly Schedule[];
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
  // The operator's methods are the admin handle's (one implementation).
  const admin = createJobsAdmin(pool);
  const events = createEmitter<JobEvents>((err, event) =>
    log.error({ err, event }, "a queue event listener failed"),
  );
  const outcomes = createOutcomeEvents(events);
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
      meta: originOf(),
    };
  };

  const add = async (task: AnyTask | string, payload: unknown, o: AddOptions = {}) => {
    const [result] = await insertJobs(o.tx ?? pool, [spec(task, payload, o)]);
    return result!;
  };

  return {
    tasks,
    add,
    async addMany(jobs, o = {}) {
      if (jobs.length === 0) return [];
      return insertJobs(
        o.tx ?? pool,
        jobs.map((j) => spec(j.task as AnyTask, j.payload, j)),
      );
    },
    work(o = {}) {
      const worker = createWorker(
        { pool, tasks, log, keepHistory, prepared, metrics, outcomes, add },
        o,
      );
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
    cancel: (id) => admin.cancel(id),
    retry: (id) => admin.retryDead(id),
    pause: (queue) => admin.pause(queue),
    resume: (queue) => admin.resume(queue),
    setGlobalConcurrency: (queue, n) => admin.setConcurrency(queue, n),
    stats: () => admin.stats(),
    list: (filter) => admin.listByState(filter),
    get: (id) => admin.find(id),
    schedules: () => admin.schedules(),
    declaredSchedules: schedules,
    rescue: () => admin.rescue({ keepHistory }),
    maintain: () => maintenance.run(),
    on: (event, listener) => events.on(event, listener),
    async close(budgetMs) {
      const results = await Promise.all([...workers].map((w) => w.stop(budgetMs)));
      return results.every(Boolean);
    },
  };
}

/** Added inside a request: its id, carried to the job's log context (`meta.request_id`). */
function originOf(): { request_id: string } | undefined {
  const requestId = getLogContext()?.request_id;
  return requestId === undefined ? undefined : { request_id: String(requestId) };
}
