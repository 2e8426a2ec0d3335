import type { Queryable } from "../../db/index.js";

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

/**
 * Runs ANALYZE on opskit.jobs when it changed a lot since the last one (and
 * not within `minIntervalMs`). Autovacuum checks tables only once a minute
 * (autovacuum_naptime), and a burst of inserts into a queue that was empty
 * when last analyzed makes the planner sort every ready job for each claim
 * instead of reading the claim index in order (measured: 1.2k instead of 26k
 * jobs/s with 200k jobs). Returns true when it ran. A role that does not own
 * the table gets a warning from Postgres and nothing happens.
 */
export async function analyzeJobsIfStale(db: Queryable, minIntervalMs = 10_000): Promise<boolean> {
  const { rows } = await db.query<{ stale: boolean }>(
    `select s.n_mod_since_analyze > 10000 + 0.1 * greatest(c.reltuples, 0)
            and coalesce(greatest(s.last_analyze, s.last_autoanalyze)
                         < now() - $1::bigint * interval '1 millisecond', true) as stale
       from pg_stat_user_tables s join pg_class c on c.oid = s.relid
      where s.relid = 'opskit.jobs'::regclass`,
    [minIntervalMs],
  );
  if (rows[0]?.stale !== true) return false;
  await db.query("analyze opskit.jobs");
  return true;
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
