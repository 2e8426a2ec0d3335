-- Claims take turns: one claim statement at a time per database, in the
-- order they arrive (a transaction-level advisory lock taken first thing in
-- opskit.claim_jobs). With claims in parallel, each one walks the head of
-- jobs_ready_idx over the rows the others have just locked (SKIP LOCKED
-- checks every one) and over the index entries of rows the others have just
-- claimed, which stay visible to it until every older snapshot is gone; the
-- work per claim grows with the number of claimers. Measured with pgbench
-- running the worker's claim and completion statements, no Node (`npm run
-- bench -- jobs-scale`, part claimers, 128,000 jobs, a quiet 2-core machine,
-- medians of 3): in parallel 56k jobs/s from 1 client, 67k from 4, 53k from
-- 16, 42k from 32; in turns 58k, 72k, 59k and 54k (docs/benchmarks.md). A
-- turn is a few milliseconds for a batch of 200, so one database serves tens
-- of thousands of claimed jobs per second in turns; the wait is the claim's
-- own latency, which the worker's prefetch hides.
--
-- A claim that would find nothing does not queue for a turn: it first looks
-- for one ready job of its queues and tasks (an index probe, no lock) and
-- returns at once when there is none. Every worker claims when a
-- notification wakes it and once per poll interval; with 32 idle workers,
-- one job added woke 32 claims, and in turns they would wait on each other
-- for nothing. No wake-up is lost by it: a job committed after the probe's
-- snapshot sends its notification after that commit, and the worker it
-- wakes probes again.
--
-- Everything else is as in 0012_jobs_claim_plan.sql.
create or replace function opskit.claim_jobs(
  worker text,
  queues text[],
  tasks text[],
  max_jobs integer,
  lease_ms integer,
  limited boolean default false
) returns table (
  id bigint,
  task text,
  queue text,
  payload jsonb,
  attempts integer,
  max_attempts integer,
  backoff jsonb,
  timeout_ms integer,
  checkpoint jsonb,
  meta jsonb
)
language plpgsql
set enable_seqscan = off
set enable_bitmapscan = off
set enable_sort = off
set enable_hashjoin = off
set enable_mergejoin = off
as $$
#variable_conflict use_column
begin
  perform set_config('synchronous_commit', 'off', true);
  -- Nothing ready: no turn to wait for (see above).
  if not exists (
    select 1 from opskit.jobs j
     where j.state = 'ready'
       and j.queue = any(claim_jobs.queues)
       and j.task = any(claim_jobs.tasks)
  ) then
    return;
  end if;
  -- Claims take turns (see above): the lock is the transaction's, released
  -- when the claim commits, so a dead session never holds it.
  perform pg_advisory_xact_lock(1868722539, 2);
  -- The CTE is an optimisation fence: LIMIT applies before the UPDATE, so a
  -- batch never locks more rows than it takes.
  return query
  with c as (
    select j.id from opskit.jobs j
     where j.state = 'ready'
       and j.queue = any(claim_jobs.queues)
       and j.task = any(claim_jobs.tasks)
       and (claim_jobs.limited or not exists (
             select 1 from opskit.job_queues q
              where q.name = j.queue and (q.paused or q.concurrency is not null)))
       -- The claimable head of each fifo_key is its lowest unfinished id.
       and (j.fifo_key is null or not exists (
             select 1 from opskit.jobs f where f.fifo_key = j.fifo_key and f.id < j.id))
     order by j.priority, j.run_at, j.id
     limit claim_jobs.max_jobs
     for update skip locked
  )
  update opskit.jobs j
     set state = 'running', attempts = j.attempts + 1, locked_by = claim_jobs.worker,
         locked_at = now(),
         lease_expires_at = now() + claim_jobs.lease_ms * interval '1 millisecond',
         heartbeat_at = null
    from c
   where j.id = c.id
  returning j.id, j.task, j.queue, j.payload, j.attempts, j.max_attempts, j.backoff,
            j.timeout_ms, j.checkpoint, j.meta;
end
$$;
