import type { Queryable } from "../job.js";

// Key of the transaction-level advisory lock that makes maintenance run on one
// node at a time. Transaction-level, so it works through any pooler and can
// never be left held by a dead session.
export const MAINTENANCE_LOCK = [1868722539, 1] as const;

/** Takes the maintenance lock for the current transaction; false if another node has it. */
export async function tryMaintenanceLock(tx: Queryable): Promise<boolean> {
  const { rows } = await tx.query<{ ok: boolean }>(
    "select pg_try_advisory_xact_lock($1, $2) as ok",
    [...MAINTENANCE_LOCK],
  );
  return rows[0]?.ok === true;
}

/** Moves due scheduled jobs to ready (bounded), and wakes their queues. Returns how many. */
export async function promoteScheduledJobs(db: Queryable, limit = 10_000): Promise<number> {
  const { rows } = await db.query<{ n: string }>(
    `with due as (
       select id from opskit.jobs where state = 'scheduled' and run_at <= now()
        order by run_at limit $1 for update skip locked
     ), promoted as (
       update opskit.jobs j set state = 'ready' from due where j.id = due.id returning j.queue
     ), woken as (
       select opskit.notify_jobs(q.queue) from (select distinct queue from promoted) q
     )
     select (select count(*) from promoted) as n, (select count(*) from woken) as w`,
    [limit],
  );
  return Number(rows[0]?.n ?? 0);
}

export interface ExpiredLease {
  id: string;
  attempts: number;
  max_attempts: number;
  locked_by: string;
  cancel_requested: boolean;
}

/** Running jobs whose lease has expired (their worker stopped heartbeating), locked for settling. */
export async function findExpiredLeases(db: Queryable, limit = 1_000): Promise<ExpiredLease[]> {
  const { rows } = await db.query<ExpiredLease>(
    `select id::text, attempts, max_attempts, locked_by,
            cancel_requested_at is not null as cancel_requested
       from opskit.jobs
      where state = 'running' and lease_expires_at < now()
      order by lease_expires_at limit $1 for update skip locked`,
    [limit],
  );
  return rows;
}

/**
 * Deletes, in bounded batches, history rows older than `historyMs`, dead jobs
 * older than `deadMs` and worker rows silent for `workerMs`. Returns the counts.
 */
export async function pruneJobs(
  db: Queryable,
  o: { historyMs: number; deadMs: number; workerMs: number; batch?: number; maxBatches?: number },
): Promise<{ history: number; dead: number; workers: number }> {
  const batch = o.batch ?? 5_000;
  const maxBatches = o.maxBatches ?? 20;
  const loop = async (sql: string, ageMs: number) => {
    let total = 0;
    for (let i = 0; i < maxBatches; i++) {
      const { rowCount } = await db.query(sql, [ageMs, batch]);
      total += rowCount ?? 0;
      if ((rowCount ?? 0) < batch) break;
    }
    return total;
  };
  const history = await loop(
    `delete from opskit.job_history where ctid = any(array(
       select ctid from opskit.job_history
        where finished_at < now() - $1::bigint * interval '1 millisecond' limit $2))`,
    o.historyMs,
  );
  const dead = await loop(
    `delete from opskit.dead_jobs where id = any(array(
       select id from opskit.dead_jobs
        where died_at < now() - $1::bigint * interval '1 millisecond' limit $2))`,
    o.deadMs,
  );
  const { rowCount } = await db.query(
    "delete from opskit.job_workers where heartbeat_at < now() - $1::bigint * interval '1 millisecond'",
    [o.workerMs],
  );
  return { history, dead, workers: rowCount ?? 0 };
}
