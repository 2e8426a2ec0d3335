import { withTransaction, type Pool } from "../db/index.js";
import { toError } from "../errors.js";
import type { Logger } from "../log/index.js";
import { startPeriodicTask, type PeriodicTask } from "../periodic-task.js";
import type { Schedule } from "./define-schedule.js";
import { enqueueScheduledSlots, syncSchedules } from "./enqueue-scheduled-slots.js";
import { rescueExpiredJobs, type RescueResult } from "./rescue-expired-jobs.js";
import {
  analyzeJobsIfStale,
  promoteScheduledJobs,
  pruneJobs,
  tryMaintenanceLock,
} from "./sql/maintain-jobs.js";

export interface MaintenanceOptions {
  pool: Pool;
  schedules: readonly Schedule[];
  keepHistory: boolean;
  /** Completed and cancelled jobs are kept this long; default 7 days. */
  historyRetentionMs?: number;
  /** Dead jobs are kept this long; default 30 days. */
  deadRetentionMs?: number;
  /** Prune at most this often; default 60 s. */
  pruneIntervalMs?: number;
  log: Logger;
}

export interface MaintenanceResult {
  /** False when another node held the maintenance lock (nothing was done here). */
  ran: boolean;
  promoted: number;
  rescued: RescueResult;
  scheduled: number;
  /** The claim path's statistics were refreshed (ANALYZE opskit.jobs). */
  analyzed: boolean;
}

/**
 * One round of the queue's upkeep, on one node at a time (a transaction-level
 * advisory lock; the others skip): promote due scheduled jobs, rescue jobs
 * whose lease expired, enqueue due cron slots, refresh the table's planner
 * statistics after a burst; and, at most every
 * pruneIntervalMs, prune old history, old dead jobs and silent worker rows in
 * bounded batches.
 */
export function createMaintenance(options: MaintenanceOptions) {
  let synced = false;
  let lastPrune = 0;
  const pruneEvery = options.pruneIntervalMs ?? 60_000;
  const log = options.log;

  async function run(): Promise<MaintenanceResult> {
    const result = await withTransaction(options.pool, async (tx): Promise<MaintenanceResult> => {
      const none = { retried: 0, dead: 0, cancelled: 0 };
      if (!(await tryMaintenanceLock(tx)))
        return { ran: false, promoted: 0, rescued: none, scheduled: 0, analyzed: false };
      if (!synced) {
        await syncSchedules(tx, options.schedules);
        synced = true;
      }
      const promoted = await promoteScheduledJobs(tx);
      const rescued = await rescueExpiredJobs(tx, { keepHistory: options.keepHistory });
      const scheduled = await enqueueScheduledSlots(tx, options.schedules);
      const analyzed = await analyzeJobsIfStale(tx);
      return { ran: true, promoted, rescued, scheduled, analyzed };
    });
    if (result.rescued.retried + result.rescued.dead + result.rescued.cancelled > 0) {
      log.warn({ ...result.rescued }, "rescued jobs whose lease expired");
    }
    if (result.ran && Date.now() - lastPrune >= pruneEvery) {
      lastPrune = Date.now();
      const pruned = await withTransaction(options.pool, async (tx) =>
        (await tryMaintenanceLock(tx))
          ? pruneJobs(tx, {
              historyMs: options.historyRetentionMs ?? 7 * 86_400_000,
              deadMs: options.deadRetentionMs ?? 30 * 86_400_000,
              workerMs: 86_400_000,
            })
          : undefined,
      );
      if (pruned && pruned.history + pruned.dead + pruned.workers > 0)
        log.info(pruned, "pruned job history");
    }
    return result;
  }

  let task: PeriodicTask<unknown> | undefined;
  return {
    run,
    /** Runs a round now and then every `intervalMs` until stop(). */
    start(intervalMs: number): void {
      task = startPeriodicTask({
        intervalMs,
        immediate: true,
        run,
        onError: (error) => log.warn({ err: toError(error) }, "job maintenance failed"),
      });
    },
    async stop(): Promise<void> {
      await task?.stop();
      task = undefined;
    },
  };
}

export type Maintenance = ReturnType<typeof createMaintenance>;
