import type { Queryable } from "../../db/index.js";
import os from "node:os";

export interface WorkerInfo {
  id: string;
  queues: string[];
  concurrency: number;
}

/**
 * The worker's heartbeat: refreshes its row in opskit.job_workers, extends
 * the lease of every job it holds, and returns the ids of those whose
 * cancellation was requested (how cancellation reaches a worker that does not
 * listen for notifications).
 */
export async function heartbeatWorker(
  db: Queryable,
  worker: WorkerInfo,
  leaseMs: number,
): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    `with w as (
       insert into opskit.job_workers (id, hostname, pid, queues, concurrency)
       values ($1, $3, $4, $5, $6)
       on conflict (id) do update set heartbeat_at = now()
     ), leases as (
       update opskit.jobs set lease_expires_at = now() + $2::integer * interval '1 millisecond'
        where locked_by = $1 and state = 'running'
       returning id, cancel_requested_at
     )
     select id::text from leases where cancel_requested_at is not null`,
    [worker.id, leaseMs, os.hostname(), process.pid, worker.queues, worker.concurrency],
  );
  return rows.map((r) => r.id);
}

/** Which of `queues` have a global concurrency limit (claimed one queue at a time, under its row lock). */
export async function globallyLimitedQueues(db: Queryable, queues: string[]): Promise<string[]> {
  const { rows } = await db.query<{ name: string }>(
    "select name from opskit.job_queues where name = any($1) and concurrency is not null",
    [queues],
  );
  return rows.map((r) => r.name);
}

/** Removes the worker's row when it stops. */
export async function removeWorker(db: Queryable, workerId: string): Promise<void> {
  await db.query("delete from opskit.job_workers where id = $1", [workerId]);
}

type Claim = { id: string; attempt: number; worker: string };

/** Updates one running job under its claim; false when the claim no longer holds. */
async function updateClaimedJob(
  db: Queryable,
  claim: Claim,
  set: string,
  value: unknown,
): Promise<boolean> {
  const { rowCount } = await db.query(
    `update opskit.jobs set ${set}, heartbeat_at = now()
      where id = $1 and attempts = $2 and locked_by = $3 and state = 'running'`,
    [claim.id, claim.attempt, claim.worker, value],
  );
  return rowCount === 1;
}

/** One job's own heartbeat: extends its lease and records a sign of life. */
export function heartbeatJob(db: Queryable, claim: Claim, leaseMs: number): Promise<boolean> {
  return updateClaimedJob(
    db,
    claim,
    "lease_expires_at = now() + $4::integer * interval '1 millisecond'",
    leaseMs,
  );
}

/** Saves a checkpoint under the claim (in the caller's transaction when given one). */
export function saveCheckpoint(db: Queryable, claim: Claim, state: unknown): Promise<boolean> {
  return updateClaimedJob(
    db,
    claim,
    "checkpoint = $4::jsonb, checkpoint_at = now()",
    JSON.stringify(state ?? null),
  );
}

export function saveProgress(db: Queryable, claim: Claim, progress: number): Promise<boolean> {
  return updateClaimedJob(db, claim, "progress = $4", progress);
}
