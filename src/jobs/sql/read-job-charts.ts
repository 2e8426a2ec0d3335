import type { Queryable } from "../../db/index.js";

/** uPlot's data: x (epoch seconds) then one array per series. */
export interface ChartData {
  series: string[];
  data: number[][];
}

/**
 * Jobs completed and failed (died) per second over the last hour, by minute,
 * in one statement (the history's BRIN index on finished_at, the dead jobs'
 * index on died_at).
 */
export async function readThroughputChart(db: Queryable): Promise<ChartData> {
  const { rows } = await db.query<{ t: number; completed: number; failed: number }>(
    `with buckets as (
       select generate_series(date_bin('1 minute', now() - interval '59 minutes', timestamptz 'epoch'),
                              date_bin('1 minute', now(), timestamptz 'epoch'), interval '1 minute') as m
     ), completed as (
       select date_bin('1 minute', finished_at, timestamptz 'epoch') as m, count(*) as n
         from opskit.job_history
        where finished_at >= now() - interval '1 hour' and state = 'completed' group by 1
     ), failed as (
       select date_bin('1 minute', died_at, timestamptz 'epoch') as m, count(*) as n
         from opskit.dead_jobs where died_at >= now() - interval '1 hour' group by 1
     )
     select extract(epoch from b.m)::float8 as t,
            coalesce(c.n, 0)::float8 / 60 as completed, coalesce(f.n, 0)::float8 / 60 as failed
       from buckets b left join completed c on c.m = b.m left join failed f on f.m = b.m
      order by b.m`,
  );
  return {
    series: ["completed/s", "failed/s"],
    data: [rows.map((r) => r.t), rows.map((r) => r.completed), rows.map((r) => r.failed)],
  };
}

/** The backlog samples of the last hour (see sampleBacklog). */
export async function readBacklogChart(db: Queryable): Promise<ChartData> {
  const { rows } = await db.query<{
    t: number;
    ready: number;
    scheduled: number;
    dead: number;
    inbox: number;
  }>(
    `select extract(epoch from at)::float8 as t, jobs_ready::float8 as ready,
            jobs_scheduled::float8 as scheduled, jobs_dead::float8 as dead, inbox_backlog::float8 as inbox
       from opskit.job_backlog_samples where at >= now() - interval '1 hour' order by at`,
  );
  return {
    series: ["jobs ready", "jobs scheduled", "jobs dead", "inbox backlog"],
    data: [
      rows.map((r) => r.t),
      rows.map((r) => r.ready),
      rows.map((r) => r.scheduled),
      rows.map((r) => r.dead),
      rows.map((r) => r.inbox),
    ],
  };
}
