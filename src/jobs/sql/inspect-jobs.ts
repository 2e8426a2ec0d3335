import type { Queryable } from "../../db/index.js";

export interface QueueStats {
  queue: string;
  scheduled: number;
  ready: number;
  running: number;
  /** Running jobs whose lease has expired: their worker is gone; the rescuer will release them. */
  stuck: number;
  dead: number;
  /** Seconds since the oldest ready job became due; 0 when none is ready. */
  oldestReadyAgeSeconds: number;
  paused: boolean;
  concurrency: number | null;
}

/** Backlog by queue and state (the hot table, the dead jobs and the queue switches). */
export async function jobStats(db: Queryable): Promise<QueueStats[]> {
  const { rows } = await db.query<
    Omit<QueueStats, "oldestReadyAgeSeconds" | "paused"> & {
      oldest: number | null;
      paused: boolean | null;
    }
  >(
    `with live as (
       select queue,
              count(*) filter (where state = 'scheduled')::int as scheduled,
              count(*) filter (where state = 'ready')::int as ready,
              count(*) filter (where state = 'running')::int as running,
              count(*) filter (where state = 'running' and lease_expires_at < now())::int as stuck,
              extract(epoch from now() - min(run_at) filter (where state = 'ready'))::float8 as oldest
         from opskit.jobs group by queue
     ), dead as (
       select queue, count(*)::int as dead from opskit.dead_jobs group by queue
     ), names as (
       select queue from live union select queue from dead union select name from opskit.job_queues
     )
     select n.queue, coalesce(l.scheduled, 0) as scheduled, coalesce(l.ready, 0) as ready,
            coalesce(l.running, 0) as running, coalesce(l.stuck, 0) as stuck,
            coalesce(d.dead, 0) as dead, l.oldest, q.paused, q.concurrency
       from names n
       left join live l on l.queue = n.queue
       left join dead d on d.queue = n.queue
       left join opskit.job_queues q on q.name = n.queue
      order by n.queue`,
  );
  return rows.map((r) => ({
    queue: r.queue,
    scheduled: r.scheduled,
    ready: r.ready,
    running: r.running,
    stuck: r.stuck,
    dead: r.dead,
    oldestReadyAgeSeconds: Math.max(0, r.oldest ?? 0),
    paused: r.paused ?? false,
    concurrency: r.concurrency,
  }));
}

/** Every state a job can be in, in the order of its life (see docs/jobs.md). */
export const JOB_STATES = [
  "scheduled",
  "ready",
  "running",
  "dead",
  "completed",
  "cancelled",
] as const;
export type JobState = (typeof JOB_STATES)[number];

export interface JobSummary {
  id: string;
  task: string;
  queue: string;
  state: JobState;
  attempts: number;
  max_attempts: number;
  run_at: Date | null;
  created_at: Date;
  last_error: string | null;
}

const SUMMARY = `id::text, task, queue, attempts, max_attempts, created_at,
  errors->-1->>'message' as last_error`;

/** Jobs in one state (newest first for finished ones, next-to-run first otherwise). */
export async function listJobs(
  db: Queryable,
  filter: {
    state: JobState;
    queue?: string | undefined;
    task?: string | undefined;
    limit?: number;
  },
): Promise<JobSummary[]> {
  const where = "($1::text is null or queue = $1) and ($2::text is null or task = $2)";
  const values = [filter.queue ?? null, filter.task ?? null, filter.limit ?? 50];
  const sql =
    filter.state === "dead"
      ? `select ${SUMMARY}, 'dead' as state, run_at from opskit.dead_jobs where ${where} order by died_at desc limit $3`
      : filter.state === "completed" || filter.state === "cancelled"
        ? `select ${SUMMARY}, state, null::timestamptz as run_at from opskit.job_history
            where ${where} and state = $4 order by finished_at desc limit $3`
        : `select ${SUMMARY}, state, run_at from opskit.jobs where ${where} and state = $4
            order by priority, run_at, id limit $3`;
  const { rows } = await db.query<JobSummary>(
    sql,
    filter.state === "dead" ? values : [...values, filter.state],
  );
  return rows;
}

/** Everything about one job, wherever it is (hot table, dead jobs, history); undefined if none. */
export async function findJob(
  db: Queryable,
  id: string,
): Promise<(Record<string, unknown> & { state: JobState }) | undefined> {
  if (!/^\d{1,19}$/.test(id)) return undefined;
  const { rows } = await db.query<Record<string, unknown> & { state: JobState }>(
    `select to_jsonb(j) as job from opskit.jobs j where id = $1
     union all select to_jsonb(d) || '{"state":"dead"}' from opskit.dead_jobs d where id = $1
     union all select to_jsonb(h) from opskit.job_history h where id = $1`,
    [id],
  );
  return (rows[0] as { job?: Record<string, unknown> & { state: JobState } } | undefined)?.job;
}

/** True when the database has the job queue's tables (the toolkit's migrations ran). */
export async function jobTablesExist(db: Queryable): Promise<boolean> {
  const { rows } = await db.query<{ ok: boolean }>(
    "select to_regclass('opskit.jobs') is not null as ok",
  );
  return rows[0]?.ok === true;
}

/** Seconds since the oldest ready job became due, over every queue; 0 when none is ready. */
export async function readOldestReadyAge(db: Queryable): Promise<number> {
  const { rows } = await db.query<{ age: number | null }>(
    `select extract(epoch from now() - min(run_at))::float8 as age
       from opskit.jobs where state = 'ready'`,
  );
  return Math.max(0, rows[0]?.age ?? 0);
}
