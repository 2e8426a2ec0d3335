import type { Queryable } from "../../db/index.js";
import type { ClaimedJob } from "../job.js";

export interface ClaimOptions {
  worker: string;
  queues: string[];
  tasks: string[];
  limit: number;
  leaseMs: number;
  /** Use a named prepared statement (off through a transaction-mode pooler). */
  prepared: boolean;
}

// The claim is the function opskit.claim_jobs (sql/migrations/0012_jobs_claim_plan.sql):
// one statement whose plan reads the claim index in order and stops at the
// limit, whatever the table's statistics say (a burst into a table analyzed
// while empty made the inline query sort every ready job for each batch).
//
// A claim commits without waiting for its WAL flush (synchronous_commit off
// for this transaction only, set inside the function). A claim is a lease,
// not an outcome: if the server crashed before the flush, the claim is simply
// undone (the job is ready again with its attempt not counted) and the
// worker's outcome for it is fenced out, so the job runs again, as after any
// crash (at least once). Every outcome is still written with a durable
// commit, which also flushes the claims before it in the WAL. With durable
// settings the flush was most of a claim's time, and the worker waits on its
// claims.
//
// Only what a worker needs to run a job comes back: every column returned is
// parsed for every job (timestamps were the costliest).
const CLAIM_SQL = `select id, task, queue, payload, attempts, max_attempts, backoff, timeout_ms,
  checkpoint, meta from opskit.claim_jobs($1, $2::text[], $3::text[], $4, $5, $6)`;

/**
 * Claims up to `limit` ready jobs of the given queues and tasks in one
 * statement (`FOR UPDATE SKIP LOCKED`), skipping paused queues and queues
 * with a global concurrency limit (see claimLimitedJobs). Needs no session
 * state: safe through a transaction-mode pooler (with `prepared: false`).
 */
export async function claimJobs(db: Queryable, o: ClaimOptions): Promise<ClaimedJob[]> {
  const values = [o.worker, o.queues, o.tasks, o.limit, o.leaseMs, false];
  const { rows } = await db.query<ClaimedJob>(
    o.prepared
      ? { name: "opskit_claim_jobs", text: CLAIM_SQL, values }
      : { text: CLAIM_SQL, values },
  );
  return rows;
}

/**
 * Claims from one queue that has a global concurrency limit. Must run inside
 * a transaction on `client`: the queue's row is locked first, so claimers of
 * that queue take turns and the count of running jobs they read (in the next
 * statement, with a fresh snapshot) is exact.
 */
export async function claimLimitedJobs(
  client: Queryable,
  queue: string,
  o: Omit<ClaimOptions, "queues" | "prepared">,
): Promise<ClaimedJob[]> {
  const { rows: q } = await client.query<{ paused: boolean; concurrency: number | null }>(
    "select paused, concurrency from opskit.job_queues where name = $1 for update",
    [queue],
  );
  const row = q[0];
  if (row?.paused) return [];
  let limit = o.limit;
  if (row !== undefined && row.concurrency !== null) {
    const { rows } = await client.query<{ n: number }>(
      "select count(*)::int as n from opskit.jobs where queue = $1 and state = 'running'",
      [queue],
    );
    limit = Math.min(limit, row.concurrency - (rows[0]?.n ?? 0));
  }
  if (limit <= 0) return [];
  const { rows } = await client.query<ClaimedJob>(CLAIM_SQL, [
    o.worker,
    [queue],
    o.tasks,
    limit,
    o.leaseMs,
    true,
  ]);
  return rows;
}
