import type { Queryable } from "../db/index.js";
import { rescueExpiredJobs, type RescueResult } from "./rescue-expired-jobs.js";
import { scheduleStatuses, type ScheduleStatus } from "./schedule-status.js";
import { countRecentDeadJobs } from "./sql/count-recent-dead-jobs.js";
import { deleteJobs } from "./sql/delete-jobs.js";
import {
  findJob,
  jobStats,
  listJobs,
  jobTablesExist,
  readOldestReadyAge,
  type JobState,
  type JobSummary,
  type QueueStats,
} from "./sql/inspect-jobs.js";
import { pruneJobs } from "./sql/maintain-jobs.js";
import { readQueueBacklog, type QueueBacklog } from "./sql/read-queue-backlog.js";
import {
  cancelJob,
  pauseQueue,
  resumeQueue,
  retryDeadJob,
  retryDeadJobs,
  setQueueConcurrency,
  type CancelResult,
} from "./sql/queue-admin.js";
import { readBacklogChart, readThroughputChart, type ChartData } from "./sql/read-job-charts.js";
import { sampleBacklog } from "./sql/sample-backlog.js";
import { searchJobs, selectJobIds, type JobFilter, type JobListRow } from "./sql/search-jobs.js";

export interface PruneJobsOptions {
  /** Delete completed and cancelled history finished longer ago than this. */
  historyOlderThanMs: number;
  /** Delete dead jobs that died longer ago than this. */
  deadOlderThanMs: number;
  /** Forget worker rows silent for longer than this; default a day. */
  workersSilentForMs?: number;
  /** Statements per kind before stopping (the next run goes on); default 20. */
  maxBatches?: number;
}

export interface JobsAdmin {
  /** True when the database has the job queue's tables (the toolkit's migrations ran). */
  installed(): Promise<boolean>;
  /** Backlog by queue and state, with each queue's pause switch and concurrency limit. */
  stats(): Promise<QueueStats[]>;
  /** Jobs matching an operator's filter (payload text included), newest id first; `beforeId` pages on. */
  list(
    filter: JobFilter,
    page: { limit: number; beforeId?: string | undefined },
  ): Promise<JobListRow[]>;
  /** Jobs in one state (newest first for finished ones, next-to-run first otherwise). */
  listByState(filter: {
    state: JobState;
    queue?: string | undefined;
    task?: string | undefined;
    limit?: number;
  }): Promise<JobSummary[]>;
  /** The ids a bulk action on a filter would touch, oldest first, `cap + 1` at most. */
  selectIds(
    filter: JobFilter,
    states: readonly JobState[],
    cap: number,
  ): Promise<{ id: string; state: JobState }[]>;
  /** Everything about one job, wherever it is (queued, dead, history); undefined when none. */
  find(id: string): Promise<(Record<string, unknown> & { state: JobState }) | undefined>;
  /** Retries a dead job now with a fresh set of attempts; false when no dead job has that id. */
  retryDead(id: string): Promise<boolean>;
  /** Retries every dead job (optionally of one task or queue) in bounded batches; returns how many. */
  retryAllDead(filter?: { task?: string | undefined; queue?: string | undefined }): Promise<number>;
  /** Cancels a queued job at once, or tells a running job's worker to stop it. */
  cancel(id: string): Promise<CancelResult>;
  /** Deletes jobs that are not running (queued, dead or finished); returns the ids deleted. */
  delete(ids: readonly string[]): Promise<string[]>;
  /** Workers stop claiming from the queue; running jobs finish. */
  pause(queue: string): Promise<void>;
  /** Resumes a paused queue and wakes its workers. */
  resume(queue: string): Promise<void>;
  /** Sets (or with null, removes) the queue's global concurrency limit. */
  setConcurrency(queue: string, concurrency: number | null): Promise<void>;
  /** Releases now the running jobs whose lease expired (what the rescuer does). */
  rescue(options?: { keepHistory?: boolean }): Promise<RescueResult>;
  /** Deletes old history, old dead jobs and silent worker rows, in bounded batches. */
  prune(options: PruneJobsOptions): Promise<{ history: number; dead: number; workers: number }>;
  /** Every schedule's last and next run, and whether it is late. */
  schedules(now?: Date): Promise<ScheduleStatus[]>;
  /** Seconds since the oldest ready job (any queue) became due; 0 when none is ready. */
  oldestReadyAgeSeconds(): Promise<number>;
  /** Jobs that died within the last `windowMs`, by queue and task (the alerts' "new dead jobs"). */
  recentDeadJobs(windowMs: number): Promise<{ queue: string; task: string; count: number }[]>;
  /**
   * Per queue: ready jobs (counted up to `countCap`, default 10,000), the
   * oldest ready age and the expired leases, at a cost that does not grow
   * with the backlog (what alerts read every round; `stats()` counts everything).
   */
  backlog(options?: { countCap?: number }): Promise<QueueBacklog[]>;
  /** Records this 10-second slot's backlog sample; true when this call wrote it (see createBacklogSampler). */
  sampleBacklog(): Promise<boolean>;
  /** The last hour's backlog samples: ready, scheduled, dead, inbox backlog. */
  backlogSamples(): Promise<ChartData>;
  /** Completed and failed (died) jobs per second over the last hour, by minute. */
  throughput(): Promise<ChartData>;
}

/**
 * Everything an operator reads or does with the job queue, without a worker
 * or the service's tasks: what the console, the CLI and alerts use. Given a
 * client inside the caller's transaction, every write joins it.
 *
 * @example
 * const jobs = createJobsAdmin(pool);
 * const dead = await jobs.list({ state: "dead", queue: "mail" }, { limit: 50 });
 * for (const job of dead) await jobs.retryDead(job.id);
 */
export function createJobsAdmin(db: Queryable): JobsAdmin {
  return {
    installed: () => jobTablesExist(db),
    stats: () => jobStats(db),
    list: (filter, page) => searchJobs(db, filter, page),
    listByState: (filter) => listJobs(db, filter),
    selectIds: (filter, states, cap) => selectJobIds(db, filter, states, cap),
    find: (id) => findJob(db, id),
    retryDead: (id) => retryDeadJob(db, id),
    retryAllDead: (filter) => retryDeadJobs(db, filter),
    cancel: (id) => cancelJob(db, id),
    delete: (ids) => deleteJobs(db, ids),
    pause: (queue) => pauseQueue(db, queue),
    resume: (queue) => resumeQueue(db, queue),
    setConcurrency: (queue, n) => setQueueConcurrency(db, queue, n),
    rescue: (options) => rescueExpiredJobs(db, options),
    prune: (o) =>
      pruneJobs(db, {
        historyMs: o.historyOlderThanMs,
        deadMs: o.deadOlderThanMs,
        workerMs: o.workersSilentForMs ?? 86_400_000,
        maxBatches: o.maxBatches,
      }),
    schedules: (now) => scheduleStatuses(db, now),
    oldestReadyAgeSeconds: () => readOldestReadyAge(db),
    recentDeadJobs: (windowMs) => countRecentDeadJobs(db, windowMs),
    backlog: (options) => readQueueBacklog(db, options?.countCap ?? 10_000),
    sampleBacklog: () => sampleBacklog(db),
    backlogSamples: () => readBacklogChart(db),
    throughput: () => readThroughputChart(db),
  };
}
