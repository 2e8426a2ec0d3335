import os from "node:os";
import type { Queryable } from "../job.js";

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

const FENCE = "id = $1 and attempts = $2 and locked_by = $3 and state = 'running'";

/** One job's own heartbeat; false when the claim no longer holds. */
export async function heartbeatJob(
  db: Queryable,
  claim: { id: string; attempt: number; worker: string },
  leaseMs: number,
): Promise<boolean> {
  const { rowCount } = await db.query(
    `update opskit.jobs set heartbeat_at = now(),
            lease_expires_at = now() + $4::integer * interval '1 millisecond'
      where ${FENCE}`,
    [claim.id, claim.attempt, claim.worker, leaseMs],
  );
  return rowCount === 1;
}

/** Saves a checkpoint (and progress) under the claim; false when the claim no longer holds. */
export async function saveCheckpoint(
  db: Queryable,
  claim: { id: string; attempt: number; worker: string },
  state: unknown,
): Promise<boolean> {
  const { rowCount } = await db.query(
    `update opskit.jobs set checkpoint = $4::jsonb, checkpoint_at = now(), heartbeat_at = now()
      where ${FENCE}`,
    [claim.id, claim.attempt, claim.worker, JSON.stringify(state ?? null)],
  );
  return rowCount === 1;
}

export async function saveProgress(
  db: Queryable,
  claim: { id: string; attempt: number; worker: string },
  progress: number,
): Promise<boolean> {
  const { rowCount } = await db.query(
    `update opskit.jobs set progress = $4, heartbeat_at = now() where ${FENCE}`,
    [claim.id, claim.attempt, claim.worker, progress],
  );
  return rowCount === 1;
}
