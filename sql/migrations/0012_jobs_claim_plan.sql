-- The claim, as a function whose plan does not depend on the table's
-- statistics (docs/jobs.md, "Plan stability"). A queue's table swings from
-- empty to a large backlog in a second; until ANALYZE runs again, statistics
-- taken while it was empty make the planner expect one ready job, and the
-- claim then read every ready job through another index and sorted them, for
-- every batch (measured: 50,000 jobs added to a table analyzed empty, the
-- first 5,000 took 1.4 s instead of 0.3 s). The claim has one good plan
-- whatever the backlog: read jobs_ready_idx in its own order and stop at the
-- limit. The function's SET clauses leave the planner no other choice (they
-- hold for the statements planned inside the function only, and are undone
-- when it returns); the callers' sessions are untouched.
--
-- `limited`: true for the claim of one queue with a concurrency limit (the
-- caller holds that queue's row lock, src/jobs/sql/claim-jobs.ts); false
-- skips paused queues and queues with a global limit.
--
-- A claim commits without waiting for its WAL flush: a claim is a lease, not
-- an outcome (src/jobs/sql/claim-jobs.ts says why that is safe). set_config's
-- local setting lasts until the end of the caller's transaction, which is
-- this statement's when it runs alone.
create function opskit.claim_jobs(
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
