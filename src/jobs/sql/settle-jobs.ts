import type { Queryable, Settlement } from "../job.js";

// Every column of opskit.jobs, in table order (opskit.dead_jobs starts with the same).
const JOB_COLUMNS = `id, task, queue, payload, state, priority, run_at, attempts, max_attempts,
  backoff, timeout_ms, dedupe_key, fifo_key, meta, locked_by, locked_at, lease_expires_at,
  heartbeat_at, cancel_requested_at, progress, checkpoint, checkpoint_at, errors, created_at`;

// Keeps the last 20 errors of a job: attempts are bounded, but max_attempts need not be small.
const APPEND_ERROR = (errors: string, error: string) =>
  `case when ${error} is null then ${errors}
        when jsonb_array_length(${errors}) >= 20 then (${errors} - 0) || jsonb_build_array(${error})
        else ${errors} || jsonb_build_array(${error}) end`;

/**
 * Applies a batch of outcomes in one statement. Each is fenced by its claim
 * (same attempt number, still running, still locked by the same worker), so
 * the late result of a worker whose lease expired and whose job was rescued
 * and claimed again changes nothing. A retry of a job whose cancellation was
 * requested ends it as cancelled instead.
 *
 * completed / cancelled → opskit.job_history (unless keepHistory is false);
 * dead → opskit.dead_jobs; retry → scheduled or ready after delayMs;
 * release → ready with the attempt given back (it never really ran).
 */
const SETTLE_SQL = `with s as (
  select * from json_to_recordset($1::json)
    as s(id bigint, attempt integer, worker text, outcome text, error jsonb,
         delay_ms bigint, started_at timestamptz)
), t as (
  select j.id, s.error, s.delay_ms, s.started_at,
         case when s.outcome in ('retry', 'release') and j.cancel_requested_at is not null
              then 'cancelled' else s.outcome end as outcome
    from opskit.jobs j join s on s.id = j.id
   where j.attempts = s.attempt and j.state = 'running' and j.locked_by = s.worker
   for update of j
), finished as (
  delete from opskit.jobs j using t
   where j.id = t.id and t.outcome in ('completed', 'cancelled')
  returning j.*, t.outcome, t.started_at, t.error as new_error
), history as (
  insert into opskit.job_history (id, task, queue, state, payload, priority, attempts,
    max_attempts, dedupe_key, fifo_key, meta, progress, checkpoint, errors, created_at,
    started_at, finished_at)
  select id, task, queue, outcome, payload, priority, attempts, max_attempts, dedupe_key,
         fifo_key, meta, progress, checkpoint, ${APPEND_ERROR("errors", "new_error")},
         created_at, started_at, now()
    from finished where $2::boolean
), schedules as (
  update opskit.job_schedules sc set last_success_at = now(), updated_at = now()
    from finished f
   where f.outcome = 'completed' and f.meta is not null and sc.name = f.meta->>'schedule'
), dead as (
  delete from opskit.jobs j using t
   where j.id = t.id and t.outcome = 'dead'
  returning j.*, t.error as new_error
), buried as (
  insert into opskit.dead_jobs (${JOB_COLUMNS}, died_at)
  select id, task, queue, payload, state, priority, run_at, attempts, max_attempts, backoff,
         timeout_ms, dedupe_key, fifo_key, meta, locked_by, locked_at, lease_expires_at,
         heartbeat_at, cancel_requested_at, progress, checkpoint, checkpoint_at,
         ${APPEND_ERROR("errors", "new_error")}, created_at, now()
    from dead
), again as (
  update opskit.jobs j
     set state = case when coalesce(t.delay_ms, 0) <= 0 then 'ready' else 'scheduled' end,
         run_at = now() + coalesce(t.delay_ms, 0) * interval '1 millisecond',
         attempts = case when t.outcome = 'release' then j.attempts - 1 else j.attempts end,
         locked_by = null, locked_at = null, lease_expires_at = null, heartbeat_at = null,
         errors = ${APPEND_ERROR("j.errors", "t.error")}
    from t
   where j.id = t.id and t.outcome in ('retry', 'release')
  returning j.id, j.queue, j.state
), woken as (
  select opskit.notify_jobs(q.queue) from (select distinct queue from again where state = 'ready') q
)
select t.id::text, t.outcome, (select count(*) from woken) as notified from t`;

export interface SettleResult {
  /** id → the outcome applied; settlements missing here were fenced out. */
  applied: Map<string, string>;
}

export async function settleJobs(
  db: Queryable,
  settlements: Settlement[],
  options: { keepHistory: boolean; prepared: boolean },
): Promise<SettleResult> {
  const values = [
    JSON.stringify(
      settlements.map((s) => ({
        id: s.id,
        attempt: s.attempt,
        worker: s.worker,
        outcome: s.outcome,
        error: s.error ?? null,
        delay_ms: s.delayMs ?? 0,
        started_at: s.startedAt?.toISOString() ?? null,
      })),
    ),
    options.keepHistory,
  ];
  const { rows } = await db.query<{ id: string; outcome: string }>(
    options.prepared
      ? { name: "opskit_settle_jobs", text: SETTLE_SQL, values }
      : { text: SETTLE_SQL, values },
  );
  return { applied: new Map(rows.map((r) => [r.id, r.outcome])) };
}

export { JOB_COLUMNS };
