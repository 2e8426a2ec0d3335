import type { Queryable } from "../../db/index.js";

/** Pauses a queue: workers stop claiming from it (running jobs finish). */
export async function pauseQueue(db: Queryable, queue: string): Promise<void> {
  await db.query(
    `insert into opskit.job_queues (name, paused) values ($1, true)
     on conflict (name) do update set paused = true, updated_at = now()`,
    [queue],
  );
}

/** Resumes a paused queue and wakes its workers. */
export async function resumeQueue(db: Queryable, queue: string): Promise<void> {
  // A count, not the void itself: Prisma's raw queries cannot read a void column (opskit/orm/prisma).
  await db.query(
    `with q as (
       insert into opskit.job_queues (name, paused) values ($1, false)
       on conflict (name) do update set paused = false, updated_at = now()
     )
     select count(opskit.notify_jobs($1)) as woken`,
    [queue],
  );
}

/** Sets (or with null, removes) the global concurrency limit of a queue. */
export async function setQueueConcurrency(
  db: Queryable,
  queue: string,
  concurrency: number | null,
): Promise<void> {
  await db.query(
    `insert into opskit.job_queues (name, concurrency) values ($1, $2)
     on conflict (name) do update set concurrency = $2, updated_at = now()`,
    [queue, concurrency],
  );
}

export type CancelResult = "cancelled" | "cancelling" | "not_found";

/**
 * Cancels a job: a queued one (scheduled or ready) moves to the history as
 * cancelled at once; for a running one the cancellation is recorded and sent
 * to its worker (NOTIFY, and its next heartbeat), whose handler's signal
 * aborts; it ends as cancelled.
 */
export async function cancelJob(db: Queryable, id: string): Promise<CancelResult> {
  const { rows } = await db.query<{ result: CancelResult }>(
    `with queued as (
       delete from opskit.jobs where id = $1 and state in ('scheduled', 'ready') returning *
     ), history as (
       insert into opskit.job_history (id, task, queue, state, payload, priority, attempts,
         max_attempts, dedupe_key, fifo_key, meta, progress, checkpoint, errors, created_at)
       select id, task, queue, 'cancelled', payload, priority, attempts, max_attempts,
              dedupe_key, fifo_key, meta, progress, checkpoint, errors, created_at
         from queued
     ), running as (
       update opskit.jobs set cancel_requested_at = coalesce(cancel_requested_at, now())
        where id = $1 and state = 'running' returning id
     ), sent as (
       select pg_notify('opskit_jobs_cancel', id::text) from running
     )
     select case when exists (select 1 from queued) then 'cancelled'
                 when exists (select 1 from running) and (select count(*) from sent) >= 0 then 'cancelling'
                 else 'not_found' end as result`,
    [id],
  );
  return rows[0]?.result ?? "not_found";
}

/**
 * Retries a dead job now (back in opskit.jobs as ready, with its errors and
 * checkpoint, and a fresh set of attempts). Returns false when no dead job has that id.
 */
export async function retryDeadJob(db: Queryable, id: string): Promise<boolean> {
  const { rows } = await db.query<{ n: string }>(
    `with d as (delete from opskit.dead_jobs where id = $1 returning *),
     revived as (
       insert into opskit.jobs (id, task, queue, payload, state, priority, run_at, attempts,
         max_attempts, backoff, timeout_ms, dedupe_key, fifo_key, meta, progress, checkpoint,
         checkpoint_at, errors, created_at)
       select id, task, queue, payload, 'ready', priority, now(), 0, max_attempts, backoff,
              timeout_ms, dedupe_key, fifo_key, meta, progress, checkpoint, checkpoint_at,
              errors, created_at
         from d
       returning queue
     )
     select count(opskit.notify_jobs(queue)) as n from revived`,
    [id],
  );
  return Number(rows[0]?.n ?? 0) === 1;
}

/** Retries every dead job (optionally of one task or queue), in bounded batches. Returns how many. */
export async function retryDeadJobs(
  db: Queryable,
  filter: { task?: string | undefined; queue?: string | undefined } = {},
): Promise<number> {
  let total = 0;
  for (;;) {
    const { rows } = await db.query<{ id: string }>(
      `select id::text from opskit.dead_jobs
        where ($1::text is null or task = $1) and ($2::text is null or queue = $2)
        order by id limit 1000`,
      [filter.task ?? null, filter.queue ?? null],
    );
    for (const row of rows) if (await retryDeadJob(db, row.id)) total++;
    if (rows.length < 1000) return total;
  }
}
