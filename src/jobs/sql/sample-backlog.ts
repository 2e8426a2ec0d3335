import type { Queryable } from "../../db/index.js";

// The inbox's backlog is its unfinished jobs: each source processes through
// the queue `inbox.<source>`.
const INBOX_BACKLOG = `select count(*) as n from opskit.jobs where queue like 'inbox.%'`;

/**
 * Records the backlog for the charts: one row per 10-second slot, written by
 * the first process to get there (the others' inserts find the slot taken
 * and count nothing), and samples older than a day removed. Returns true
 * when this call wrote the slot.
 */
export async function sampleBacklog(db: Queryable): Promise<boolean> {
  const { rows } = await db.query<{ at: Date }>(
    `with slot as (
       select date_bin('10 seconds', now(), timestamptz 'epoch') as at
     ), free as (
       select at from slot where not exists (select 1 from opskit.job_backlog_samples s where s.at = slot.at)
     ), pruned as (
       delete from opskit.job_backlog_samples where at < now() - interval '1 day'
     )
     insert into opskit.job_backlog_samples (at, jobs_ready, jobs_scheduled, jobs_running, jobs_dead, inbox_backlog)
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
