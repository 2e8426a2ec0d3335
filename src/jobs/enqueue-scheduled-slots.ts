import type { Queryable } from "../db/index.js";
import { lastSlotAtOrBefore, slotsBetween, type Schedule } from "./define-schedule.js";
import { insertJobs, type JobSpec } from "./sql/insert-jobs.js";

/** A slot seen later than this after its time was missed (policy `skip` drops it). */
export const MISSED_AFTER_MS = 60_000;

/** Registers the schedules declared in code (new ones start counting slots from now). */
export async function syncSchedules(tx: Queryable, schedules: readonly Schedule[]): Promise<void> {
  if (schedules.length === 0) return;
  await tx.query(
    `insert into opskit.job_schedules (name, cron, timezone, task, missed, grace_ms, last_slot_at)
     select s.name, s.cron, s.timezone, s.task, s.missed, s.grace_ms, now()
       from json_to_recordset($1::json)
         as s(name text, cron text, timezone text, task text, missed text, grace_ms bigint)
     on conflict (name) do update
       set cron = excluded.cron, timezone = excluded.timezone, task = excluded.task,
           missed = excluded.missed, grace_ms = excluded.grace_ms, updated_at = now()
       where (job_schedules.cron, job_schedules.timezone, job_schedules.task,
              job_schedules.missed, job_schedules.grace_ms)
             is distinct from (excluded.cron, excluded.timezone, excluded.task,
                               excluded.missed, excluded.grace_ms)`,
    [
      JSON.stringify(
        schedules.map((s) => ({
          name: s.name,
          cron: s.cron,
          timezone: s.timezone,
          task: s.task.name,
          missed: s.missed,
          grace_ms: s.graceMs,
        })),
      ),
    ],
  );
}

/**
 * Enqueues the due slots of every schedule, exactly once per slot: the
 * schedule's row is locked and its `last_slot_at` moved forward in the same
 * transaction as the jobs' insert, so another node (or a later tick) sees
 * the slots as taken. Each job also carries the dedupe key
 * `schedule:<name>:<slot>` and `meta.slot`. Returns how many jobs were added.
 */
export async function enqueueScheduledSlots(
  tx: Queryable,
  schedules: readonly Schedule[],
  now = new Date(),
): Promise<number> {
  if (schedules.length === 0) return 0;
  const { rows } = await tx.query<{ name: string; last_slot_at: Date | null }>(
    "select name, last_slot_at from opskit.job_schedules where name = any($1) for update",
    [schedules.map((s) => s.name)],
  );
  const last = new Map(rows.map((r) => [r.name, r.last_slot_at ?? now]));
  let added = 0;
  for (const schedule of schedules) {
    const after = last.get(schedule.name);
    if (after === undefined) continue;
    // Only backfill walks every slot; the others need the latest one alone
    // (a per-second pattern after a day of downtime is 86,400 slots).
    const latest = lastSlotAtOrBefore(schedule.pattern, now);
    if (latest === undefined || latest <= after) continue;
    let run: Date[];
    if (schedule.missed === "backfill") {
      const from = new Date(Math.max(after.getTime(), now.getTime() - schedule.backfillWindowMs));
      run = slotsBetween(schedule.pattern, from, now, 100_000).slice(-1_000); // the latest 1000
    } else {
      const onTime = now.getTime() - latest.getTime() <= MISSED_AFTER_MS;
      run = schedule.missed === "once" || onTime ? [latest] : [];
    }
    const specs: JobSpec[] = run.map((slot) => ({
      task: schedule.task.name,
      queue: schedule.queue ?? schedule.task.options.queue ?? "default",
      payload: schedule.payload,
      priority: schedule.priority ?? schedule.task.options.priority,
      max_attempts: schedule.task.options.maxAttempts,
      timeout_ms: schedule.task.options.timeoutMs,
      dedupe_key: `schedule:${schedule.name}:${slot.toISOString()}`,
      meta: { schedule: schedule.name, slot: slot.toISOString() },
    }));
    const results = specs.length > 0 ? await insertJobs(tx, specs) : [];
    added += results.filter((r) => !r.deduplicated).length;
    await tx.query(
      `update opskit.job_schedules set last_slot_at = $2, last_job_id = coalesce($3, last_job_id),
              updated_at = now() where name = $1`,
      [schedule.name, latest, results.at(-1)?.id ?? null],
    );
  }
  return added;
}
