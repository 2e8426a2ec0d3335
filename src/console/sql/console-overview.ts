import type { Queryable } from "../../db/index.js";

export interface InboxOverview {
  backlog: number;
  oldest_backlog_seconds: number | null;
  received_last_hour: number;
  rejected_last_hour: number;
}

// An event waiting to be processed (pending, or failed with a retry due)
// has an unfinished job in its source's queue `inbox.<source>`: the backlog
// is read from the small hot jobs table, so the inbox's own table needs no
// index on its status (one would make every status change a non-HOT update).
const INBOX_BACKLOG = `select count(*) as n, min(created_at) as oldest from opskit.jobs where queue like 'inbox.%'`;

/**
 * The inbox at a glance, in one statement: the backlog and its oldest, and
 * the last hour's deliveries and rejections (the rejection rate), each
 * source's count walking its (source, received_at) index.
 */
export async function inboxOverview(db: Queryable): Promise<InboxOverview> {
  const { rows } = await db.query<InboxOverview>(
    `select b.n::int as backlog, extract(epoch from now() - b.oldest)::float8 as oldest_backlog_seconds,
       (select coalesce(sum((select count(*) from opskit.inbox_events e
                              where e.source = s.name and e.received_at >= now() - interval '1 hour')), 0)
          from opskit.inbox_sources s)::int as received_last_hour,
       (select count(*) from opskit.inbox_rejections
         where rejected_at >= now() - interval '1 hour')::int as rejected_last_hour
       from (${INBOX_BACKLOG}) b`,
  );
  return rows[0]!;
}

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
export async function throughputChart(db: Queryable): Promise<ChartData> {
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
export async function backlogChart(db: Queryable): Promise<ChartData> {
  const { rows } = await db.query<{
    t: number;
    ready: number;
    scheduled: number;
    dead: number;
    inbox: number;
  }>(
    `select extract(epoch from at)::float8 as t, jobs_ready::float8 as ready,
            jobs_scheduled::float8 as scheduled, jobs_dead::float8 as dead, inbox_backlog::float8 as inbox
       from opskit.console_samples where at >= now() - interval '1 hour' order by at`,
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

/**
 * Records the backlog for the chart: one row per 10-second slot, written by
 * the first console process to get there (the others' inserts find the slot
 * taken and count nothing), and samples older than a day removed. Returns
 * true when this call wrote the slot.
 */
export async function sampleBacklog(db: Queryable): Promise<boolean> {
  const { rows } = await db.query<{ at: Date }>(
    `with slot as (
       select date_bin('10 seconds', now(), timestamptz 'epoch') as at
     ), free as (
       select at from slot where not exists (select 1 from opskit.console_samples s where s.at = slot.at)
     ), pruned as (
       delete from opskit.console_samples where at < now() - interval '1 day'
     )
     insert into opskit.console_samples (at, jobs_ready, jobs_scheduled, jobs_running, jobs_dead, inbox_backlog)
     select free.at, j.ready, j.scheduled, j.running,
            (select count(*) from opskit.dead_jobs),
            (select n from (${INBOX_BACKLOG}) b)
       from free, lateral (
         select count(*) filter (where state = 'ready') as ready,
                count(*) filter (where state = 'scheduled') as scheduled,
                count(*) filter (where state = 'running') as running
           from opskit.jobs) j
     on conflict (at) do nothing
     returning at`,
  );
  return rows.length === 1;
}
