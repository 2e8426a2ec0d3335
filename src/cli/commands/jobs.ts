import { createPool, type Pool } from "../../db/index.js";
import { parseDuration } from "../../config/index.js";
import {
  findJob,
  JOB_STATES,
  jobStats,
  listJobs,
  type JobState,
} from "../../jobs/sql/inspect-jobs.js";
import { scheduleStatuses } from "../../jobs/schedule-status.js";
import { parse } from "../args.js";
import { EXIT, UsageError, type Command, type Output } from "../cli-error.js";

export const common = {
  "database-url": { type: "string" },
  json: { type: "boolean" },
} as const;

/** Runs `fn` on a small pool to --database-url (or DATABASE_URL), always closing it. */
export async function withJobsDb<T>(
  values: { "database-url"?: string | undefined },
  fn: (pool: Pool) => Promise<T>,
): Promise<T> {
  const url = values["database-url"] ?? process.env.DATABASE_URL;
  if (!url) throw new UsageError("Give --database-url URL or set DATABASE_URL.");
  const pool = createPool({ connectionString: url, max: 2, applicationName: "opskit-cli" });
  try {
    return await fn(pool);
  } finally {
    await pool.end();
  }
}

export function print(io: Output, json: boolean | undefined, data: unknown, text: string): void {
  io.out(json ? JSON.stringify(data) : text);
}

function table(rows: Record<string, unknown>[], columns: string[]): string {
  const cell = (v: unknown): string => {
    if (v instanceof Date) return v.toISOString();
    if (v === null || v === undefined) return "-";
    if (typeof v === "string") return v;
    return typeof v === "number" || typeof v === "boolean" ? String(v) : JSON.stringify(v);
  };
  const width = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(width[i]!))
      .join("  ")
      .trimEnd();
  return [line(columns), ...rows.map((r) => line(columns.map((c) => cell(r[c]))))].join("\n");
}

export const jobsStats: Command = {
  name: "jobs stats",
  summary: "Backlog by queue and state, oldest ready age, running, stuck, dead; late schedules",
  usage: `opskit jobs stats [--database-url URL] [--json]

Exit 1 when a job is stuck (its lease expired: its worker is gone) or a
schedule is late (its dead-man's switch fired); see docs/runbooks/stuck-jobs.md.`,
  async run(args, io) {
    const { values } = parse(args, common);
    const { stats, schedules } = await withJobsDb(values, async (pool) => ({
      stats: await jobStats(pool),
      schedules: await scheduleStatuses(pool),
    }));
    const stuck = stats.reduce((n, q) => n + q.stuck, 0);
    const late = schedules.filter((s) => s.late);
    print(
      io,
      values.json,
      { queues: stats, schedules, stuck, late: late.map((s) => s.name) },
      [
        stats.length
          ? table(
              stats.map((q) => ({
                ...q,
                oldest_ready_s: Math.round(q.oldestReadyAgeSeconds),
                paused: q.paused ? "yes" : "",
              })),
              [
                "queue",
                "scheduled",
                "ready",
                "running",
                "stuck",
                "dead",
                "oldest_ready_s",
                "paused",
                "concurrency",
              ],
            )
          : "no jobs",
        ...(schedules.length
          ? [
              "",
              table(
                schedules.map((s) => ({ ...s, late: s.late ? "LATE" : "" })),
                ["name", "cron", "timezone", "lastSuccessAt", "late"],
              ),
            ]
          : []),
      ].join("\n"),
    );
    return stuck > 0 || late.length > 0 ? EXIT.failure : EXIT.ok;
  },
};

const STATES: readonly JobState[] = JOB_STATES;

export const jobsList: Command = {
  name: "jobs list",
  summary: "List jobs in one state (default ready)",
  usage: `opskit jobs list [--state ${STATES.join("|")}] [--queue Q] [--task T] [--limit N] [--database-url URL] [--json]`,
  async run(args, io) {
    const { values } = parse(args, {
      ...common,
      state: { type: "string" },
      queue: { type: "string" },
      task: { type: "string" },
      limit: { type: "string" },
    });
    const state = (values.state ?? "ready") as JobState;
    if (!STATES.includes(state))
      throw new UsageError(`--state must be one of ${STATES.join(", ")}.`);
    const limit = values.limit === undefined ? 50 : Number(values.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 10_000)
      throw new UsageError("--limit must be 1..10000.");
    const jobs = await withJobsDb(values, (pool) =>
      listJobs(pool, { state, queue: values.queue, task: values.task, limit }),
    );
    print(
      io,
      values.json,
      { jobs },
      jobs.length
        ? table(jobs as unknown as Record<string, unknown>[], [
            "id",
            "task",
            "queue",
            "state",
            "attempts",
            "run_at",
            "last_error",
          ])
        : `no ${state} jobs`,
    );
    return EXIT.ok;
  },
};

export const jobsShow: Command = {
  name: "jobs show",
  summary: "Everything about one job: payload, state, attempts, errors, checkpoint",
  usage: `opskit jobs show ID [--database-url URL] [--json]

Exit 1 when no job has that id (nor in the history or the dead jobs).`,
  async run(args, io) {
    const { values, positionals } = parse(args, common);
    const id = positionals[0];
    if (!id || positionals.length > 1) throw new UsageError("Give one job id.");
    const job = await withJobsDb(values, (pool) => findJob(pool, id));
    if (!job) {
      io.err(`no job ${id}`);
      return EXIT.failure;
    }
    print(io, values.json, { job }, JSON.stringify(job, null, 2));
    return EXIT.ok;
  },
};

/** `7d`, `12h`, … on top of the config durations (which stop at hours). */
export function parseAge(text: string, flag: string): number {
  const days = /^(\d+)d$/.exec(text);
  if (days) return Number(days[1]) * 86_400_000;
  try {
    return parseDuration(text);
  } catch {
    throw new UsageError(`${flag} takes a duration like 30m, 12h or 7d.`);
  }
}
