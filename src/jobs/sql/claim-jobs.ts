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

// What a worker needs to run a job, and no more: every column returned is
// parsed for every job (timestamps were the costliest).
const RETURNING = `returning j.id, j.task, j.queue, j.payload, j.attempts, j.max_attempts, j.backoff,
  j.timeout_ms, j.checkpoint, j.meta`;

// The claimable head of each fifo_key is its lowest unfinished id.
const FIFO = `(j.fifo_key is null or not exists (
    select 1 from opskit.jobs f where f.fifo_key = j.fifo_key and f.id < j.id))`;

// The CTE is an optimisation fence: LIMIT applies before the UPDATE, so a
// batch never locks more rows than it takes (Oban's note on nested loops).
//
// A claim commits without waiting for its WAL flush (synchronous_commit off
// for this transaction only). A claim is a lease, not an outcome: if the
// server crashed before the flush, the claim is simply undone (the job is
// ready again with its attempt not counted) and the worker's outcome for it
// is fenced out, so the job runs again, as after any crash (at least once).
// Every outcome is still written with a durable commit, which also flushes
// the claims before it in the WAL. With durable settings the flush was most
// of a claim's time, and the worker waits on its claims.
const claimSql = (where: string) => `with async_commit as (
  select set_config('synchronous_commit', 'off', true)
), c as (
  select j.id from opskit.jobs j
  where j.state = 'ready' and ${where} and j.task = any($3::text[]) and ${FIFO}
  order by j.priority, j.run_at, j.id
  limit $4
  for update skip locked
)
update opskit.jobs j
   set state = 'running', attempts = j.attempts + 1, locked_by = $1, locked_at = now(),
       lease_expires_at = now() + $5::integer * interval '1 millisecond', heartbeat_at = null
  from c, async_commit where j.id = c.id
${RETURNING}`;

const CLAIM_SQL = claimSql(`j.queue = any($2::text[])
    and not exists (select 1 from opskit.job_queues q
                    where q.name = j.queue and (q.paused or q.concurrency is not null))`);

/**
 * Claims up to `limit` ready jobs of the given queues and tasks in one
 * statement (`FOR UPDATE SKIP LOCKED`), skipping paused queues and queues
 * with a global concurrency limit (see claimLimitedJobs).
 */
export async function claimJobs(db: Queryable, o: ClaimOptions): Promise<ClaimedJob[]> {
  const values = [o.worker, o.queues, o.tasks, o.limit, o.leaseMs];
  const { rows } = await db.query<ClaimedJob>(
    o.prepared
      ? { name: "opskit_claim_jobs", text: CLAIM_SQL, values }
      : { text: CLAIM_SQL, values },
  );
  return rows;
}

const CLAIM_LIMITED_SQL = claimSql("j.queue = $2");

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
  const { rows } = await client.query<ClaimedJob>(CLAIM_LIMITED_SQL, [
    o.worker,
    queue,
    o.tasks,
    limit,
    o.leaseMs,
  ]);
  return rows;
}
