import type { Queryable } from "../../db/index.js";
import type { Settlement } from "../job.js";

// Every column of opskit.jobs, in table order (opskit.dead_jobs starts with the same).
const JOB_COLUMNS = `id, task, queue, payload, state, priority, run_at, attempts, max_attempts,
  backoff, timeout_ms, dedupe_key, fifo_key, meta, locked_by, locked_at, lease_expires_at,
  heartbeat_at, cancel_requested_at, progress, checkpoint, checkpoint_at, errors, created_at`;

// Keeps the last 20 errors of a job: attempts are bounded, but max_attempts need not be small.
const APPEND_ERROR = (errors: string, error: string) =>
  `case when ${error} is null then ${errors}
        when jsonb_array_length(${errors}) >= 20 then (${errors} - 0) || jsonb_build_array(${error})
        else ${errors} || jsonb_build_array(${error}) end`;

// The fence of a claim: same attempt, still locked by the same worker. Only a
// running job has a lock holder (constraint jobs_locked_by_running), so this
// means still running too; leaving `state` out keeps the planner on the
// primary key (the partial index of running jobs looks empty to statistics
// taken while nothing ran, and a nested loop over it is quadratic).
const FENCED = `j.attempts = s.attempt and j.locked_by = s.worker`;

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
 *
 * The outcomes come as parallel arrays (unnest: no per-row JSON parsing).
 * Completed and cancelled jobs, nearly all of them, are deleted with the fence
 * in the DELETE itself (READ COMMITTED re-checks it on the row's newest
 * version), so they are not locked first; only the others (retry, release,
 * dead), whose outcome depends on a cancellation request, are locked and read
 * before they are written.
 */
const UNNEST = `unnest($1::bigint[], $2::integer[], $3::text[], $4::text[], $5::jsonb[],
    $6::bigint[], $7::float8[]) as s(id, attempt, worker, outcome, error, delay_ms, started_ms)`;

const SETTLE_SQL = `with t as (
  select j.id, s.error, s.delay_ms, s.started_ms,
         case when s.outcome in ('retry', 'release') and j.cancel_requested_at is not null
              then 'cancelled' else s.outcome end as outcome
    from opskit.jobs j join ${UNNEST} on s.id = j.id
   where s.outcome not in ('completed', 'cancelled') and ${FENCED}
   for update of j
), done as (
  delete from opskit.jobs j using ${UNNEST}
   where s.outcome in ('completed', 'cancelled') and j.id = s.id and ${FENCED}
  returning j.*, s.outcome, s.started_ms, s.error as new_error
), withdrawn as (
  delete from opskit.jobs j using t
   where j.id = t.id and t.outcome = 'cancelled'
  returning j.*, t.outcome, t.started_ms, t.error as new_error
), finished as (
  select * from done union all select * from withdrawn
), history as (
  insert into opskit.job_history (id, task, queue, state, payload, priority, attempts,
    max_attempts, dedupe_key, fifo_key, meta, progress, checkpoint, errors, created_at,
    started_at, finished_at)
  select id, task, queue, outcome, payload, priority, attempts, max_attempts, dedupe_key,
         fifo_key, meta, progress, checkpoint, ${APPEND_ERROR("errors", "new_error")},
         created_at, to_timestamp(started_ms / 1000), now()
    from finished where $8::boolean
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
  returning j.id, j.queue, j.state, t.outcome
), woken as (
  select opskit.notify_jobs(q.queue) from (select distinct queue from again where state = 'ready') q
), applied as (
  select id, outcome from finished
  union all select id, 'dead' from dead
  union all select id, outcome from again
)
select a.id::text, a.outcome, (select count(*) from woken) as notified from applied a`;

/**
 * The common case alone: every outcome of the batch is `completed`. The same
 * fence and the same history and schedule rows as SETTLE_SQL, without the
 * branches for retries, cancellations and deaths that such a batch never
 * takes: 0.71× SETTLE_SQL's server CPU per job (`npm run bench --
 * jobs-statements`), for what the worker writes for nearly every batch. The
 * worker is one value, not an array: a settler writes one worker's outcomes.
 */
const COMPLETE_SQL = `with done as (
  delete from opskit.jobs j
   using unnest($1::bigint[], $2::integer[], $3::float8[]) as s(id, attempt, started_ms)
   where j.id = s.id and j.attempts = s.attempt and j.locked_by = $4::text
  returning j.*, s.started_ms
), history as (
  insert into opskit.job_history (id, task, queue, state, payload, priority, attempts,
    max_attempts, dedupe_key, fifo_key, meta, progress, checkpoint, errors, created_at,
    started_at, finished_at)
  select id, task, queue, 'completed', payload, priority, attempts, max_attempts, dedupe_key,
         fifo_key, meta, progress, checkpoint, errors, created_at,
         to_timestamp(started_ms / 1000), now()
    from done where $5::boolean
), schedules as (
  update opskit.job_schedules sc set last_success_at = now(), updated_at = now()
    from done f
   where f.meta is not null and sc.name = f.meta->>'schedule'
)
select id::text from done`;

export interface SettleResult {
  /** id → the outcome applied; settlements missing here were fenced out. */
  applied: Map<string, string>;
}

export async function settleJobs(
  db: Queryable,
  settlements: Settlement[],
  options: { keepHistory: boolean; prepared: boolean },
): Promise<SettleResult> {
  const n = settlements.length;
  const worker = settlements[0]?.worker;
  if (n > 0 && settlements.every((s) => s.outcome === "completed" && s.worker === worker)) {
    return completeJobs(db, settlements, worker!, options);
  }
  const ids = new Array<string>(n);
  const attempts = new Array<number>(n);
  const workers = new Array<string>(n);
  const outcomes = new Array<string>(n);
  const errors = new Array<Settlement["error"] | null>(n);
  const delays = new Array<number>(n);
  const started = new Array<number | null>(n);
  for (let i = 0; i < n; i++) {
    const s = settlements[i]!;
    ids[i] = s.id;
    attempts[i] = s.attempt;
    workers[i] = s.worker;
    outcomes[i] = s.outcome;
    errors[i] = s.error ?? null;
    delays[i] = s.delayMs ?? 0;
    started[i] = s.startedAt?.getTime() ?? null;
  }
  const values = [ids, attempts, workers, outcomes, errors, delays, started, options.keepHistory];
  const { rows } = await db.query<{ id: string; outcome: string }>(
    options.prepared
      ? { name: "opskit_settle_jobs", text: SETTLE_SQL, values }
      : { text: SETTLE_SQL, values },
  );
  const applied = new Map<string, string>();
  for (const r of rows) applied.set(r.id, r.outcome);
  return { applied };
}

/** The batch of completed jobs of one worker (COMPLETE_SQL). */
async function completeJobs(
  db: Queryable,
  settlements: Settlement[],
  worker: string,
  options: { keepHistory: boolean; prepared: boolean },
): Promise<SettleResult> {
  const n = settlements.length;
  const ids = new Array<string>(n);
  const attempts = new Array<number>(n);
  const started = new Array<number | null>(n);
  for (let i = 0; i < n; i++) {
    const s = settlements[i]!;
    ids[i] = s.id;
    attempts[i] = s.attempt;
    started[i] = s.startedAt?.getTime() ?? null;
  }
  const values = [ids, attempts, started, worker, options.keepHistory];
  const { rows } = await db.query<{ id: string }>(
    options.prepared
      ? { name: "opskit_complete_jobs", text: COMPLETE_SQL, values }
      : { text: COMPLETE_SQL, values },
  );
  const applied = new Map<string, string>();
  for (const r of rows) applied.set(r.id, "completed");
  return { applied };
}

export { COMPLETE_SQL, JOB_COLUMNS, SETTLE_SQL };
