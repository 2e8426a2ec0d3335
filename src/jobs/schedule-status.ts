import type { Queryable } from "../db/index.js";
import { Cron } from "croner";
import { lastSlotAtOrBefore } from "./define-schedule.js";

export interface ScheduleStatus {
  name: string;
  cron: string;
  timezone: string;
  task: string;
  lastSlotAt: Date | null;
  lastSuccessAt: Date | null;
  /** The latest slot whose grace has passed, if any since the schedule was registered. */
  dueSlot: Date | null;
  /** The dead-man's switch: dueSlot has not succeeded. */
  late: boolean;
}

/**
 * Every registered schedule with its dead-man's switch: a schedule is late
 * when its latest slot older than `grace_ms` has had no success since.
 */
export async function scheduleStatuses(db: Queryable, now = new Date()): Promise<ScheduleStatus[]> {
  const { rows } = await db.query<{
    name: string;
    cron: string;
    timezone: string;
    task: string;
    grace_ms: string;
    last_slot_at: Date | null;
    last_success_at: Date | null;
    created_at: Date;
  }>(
    `select name, cron, timezone, task, grace_ms, last_slot_at, last_success_at, created_at
       from opskit.job_schedules order by name`,
  );
  return rows.map((r) => {
    let dueSlot: Date | null = null;
    try {
      const pattern = new Cron(r.cron, { timezone: r.timezone, paused: true });
      const slot = lastSlotAtOrBefore(pattern, new Date(now.getTime() - Number(r.grace_ms)));
      if (slot !== undefined && slot >= r.created_at) dueSlot = slot;
    } catch {
      // A pattern stored by a newer version this one cannot read: no verdict.
    }
    const late = dueSlot !== null && (r.last_success_at === null || r.last_success_at < dueSlot);
    return {
      name: r.name,
      cron: r.cron,
      timezone: r.timezone,
      task: r.task,
      lastSlotAt: r.last_slot_at,
      lastSuccessAt: r.last_success_at,
      dueSlot,
      late,
    };
  });
}
