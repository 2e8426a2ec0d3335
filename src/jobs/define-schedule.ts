import { Cron } from "croner";
import { OpskitError } from "../errors.js";
import type { AnyTask } from "./define-task.js";

export type MissedRunPolicy = "skip" | "once" | "backfill";

export interface ScheduleOptions {
  /** Unique name; also the `schedule` label of its metrics. */
  name: string;
  /** A croner pattern: 5 fields (minute precision) or 6 (seconds first). */
  cron: string;
  /** IANA time zone the pattern is read in; default "UTC". */
  timezone?: string;
  task: AnyTask;
  payload?: unknown;
  /**
   * Slots that passed while no worker ran: `skip` them (default), run `once`
   * for all of them, or `backfill` each one within `backfillWindowMs`.
   */
  missed?: MissedRunPolicy;
  /** How far back `backfill` goes; default 24 h. At most the latest 1000 slots. */
  backfillWindowMs?: number;
  /** The dead-man's switch: a slot not succeeded within this is late; default 5 min. */
  graceMs?: number;
  queue?: string;
  priority?: number;
}

export interface Schedule extends Required<Pick<ScheduleOptions, "name" | "cron" | "timezone">> {
  readonly task: AnyTask;
  readonly payload: unknown;
  readonly missed: MissedRunPolicy;
  readonly backfillWindowMs: number;
  readonly graceMs: number;
  readonly queue: string | undefined;
  readonly priority: number | undefined;
  /** The pattern, parsed. */
  readonly pattern: Cron;
}

/**
 * Declares a cron schedule that enqueues `task` once per slot across any
 * number of workers.
 *
 * @example
 * const nightly = defineSchedule({ name: "reconcile", cron: "0 3 * * *", timezone: "Europe/Paris", task: reconcile, missed: "once" });
 */
export function defineSchedule(options: ScheduleOptions): Schedule {
  const timezone = options.timezone ?? "UTC";
  try {
    new Intl.DateTimeFormat("en", { timeZone: timezone });
  } catch {
    throw new OpskitError(
      "JOB_TASK_INVALID",
      `Schedule "${options.name}": "${timezone}" is not an IANA time zone (e.g. "Europe/Paris").`,
    );
  }
  let pattern: Cron;
  try {
    pattern = new Cron(options.cron, { timezone, paused: true });
  } catch (error) {
    throw new OpskitError(
      "JOB_TASK_INVALID",
      `Schedule "${options.name}": "${options.cron}" is not a valid cron pattern (${(error as Error).message}).`,
      { cause: error },
    );
  }
  return Object.freeze({
    name: options.name,
    cron: options.cron,
    timezone,
    task: options.task,
    payload: options.payload ?? {},
    missed: options.missed ?? "skip",
    backfillWindowMs: options.backfillWindowMs ?? 86_400_000,
    graceMs: options.graceMs ?? 300_000,
    queue: options.queue,
    priority: options.priority,
    pattern,
  });
}

/** Slot times in (after, until], oldest first, at most `max`. */
export function slotsBetween(pattern: Cron, after: Date, until: Date, max: number): Date[] {
  const slots: Date[] = [];
  let cursor = after;
  while (slots.length < max) {
    const next = pattern.nextRun(cursor);
    if (next === null || next > until) break;
    slots.push(next);
    cursor = next;
  }
  return slots;
}

/** The latest slot at or before `at`. */
export function lastSlotAtOrBefore(pattern: Cron, at: Date): Date | undefined {
  // croner includes a run earlier in the reference's own second, so +1 ms makes it inclusive.
  return pattern.previousRuns(1, new Date(at.getTime() + 1))[0];
}
