import type { Queryable } from "../../jobs/index.js";

/** An event to process, with what its job needs from the source. */
export interface EventJob {
  eventId: string;
  /** `inbox.<source>`: the task and the queue (pausing a source pauses this queue). */
  queue: string;
  orderingKey: string | null;
  maxAttempts: number;
}

/**
 * Enqueues the processing jobs of events through `opskit.add_jobs`, the job
 * queue's SQL entry point, in the caller's transaction: the events and their
 * jobs commit together. Going through SQL rather than `queue.addMany` lets
 * the CLI replay events without the service's task definitions. No job dedupe
 * key: the job's handler locks its event row and skips an event already
 * processed, which also covers a replay racing the settling of an earlier
 * job. The FIFO key is the ordering key, so events sharing one run one at a
 * time in the order their jobs were added.
 */
export async function enqueueInboxJobs(db: Queryable, jobs: readonly EventJob[]): Promise<void> {
  if (jobs.length === 0) return;
  const specs = jobs.map((j) => ({
    task: j.queue,
    queue: j.queue,
    payload: { eventId: j.eventId },
    max_attempts: j.maxAttempts,
    fifo_key: j.orderingKey === null ? null : `${j.queue}:${j.orderingKey}`,
  }));
  await db.query("select 1 from opskit.add_jobs($1::json)", [JSON.stringify(specs)]);
}
