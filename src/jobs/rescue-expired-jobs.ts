import { withTransaction, type Pool, type PoolClient, type Queryable } from "../db/index.js";
import type { Settlement } from "./job.js";
import { findExpiredLeases } from "./sql/maintain-jobs.js";
import { settleJobs } from "./sql/settle-jobs.js";

export interface RescueResult {
  retried: number;
  dead: number;
  cancelled: number;
}

/**
 * The rescuer: jobs whose lease expired (their worker crashed, froze or lost
 * the database for longer than the lease) are settled as if their attempt
 * had failed: back to ready at once, dead after their last attempt, or
 * cancelled when that was requested. Given a pool it runs in its own
 * transaction; given a client it joins the caller's; given any other
 * executor (an ORM's transaction, opskit/orm/*) it runs its statements
 * there, so that executor should be a transaction's.
 */
export async function rescueExpiredJobs(
  db: Queryable,
  options: { keepHistory?: boolean; limit?: number } = {},
): Promise<RescueResult> {
  return inTransactionOf(db, async (tx) => {
    const expired = await findExpiredLeases(tx, options.limit ?? 1_000);
    const now = new Date();
    const settlements: Settlement[] = expired.map((job) => ({
      id: job.id,
      attempt: job.attempts,
      worker: job.locked_by,
      outcome: job.cancel_requested
        ? "cancelled"
        : job.attempts >= job.max_attempts
          ? "dead"
          : "retry",
      error: {
        attempt: job.attempts,
        at: now.toISOString(),
        code: "JOB_LEASE_LOST",
        worker: job.locked_by,
        message: `The lease expired: worker ${job.locked_by} stopped heartbeating (crashed, frozen or cut off from the database).`,
      },
    }));
    const result: RescueResult = { retried: 0, dead: 0, cancelled: 0 };
    if (settlements.length === 0) return result;
    const { applied } = await settleJobs(tx, settlements, {
      keepHistory: options.keepHistory ?? true,
      prepared: false,
    });
    for (const outcome of applied.values()) {
      if (outcome === "dead") result.dead++;
      else if (outcome === "cancelled") result.cancelled++;
      else result.retried++;
    }
    return result;
  });
}

function inTransactionOf<T>(db: Queryable, fn: (tx: Queryable) => Promise<T>): Promise<T> {
  const pg = typeof (db as Partial<Pool>).connect === "function";
  return pg ? withTransaction(db as Pool | PoolClient, fn) : fn(db);
}
