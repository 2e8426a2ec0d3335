import { createJobsAdmin, JOB_STATES, type JobState } from "../../jobs/index.js";
import { parse } from "../args.js";
import { EXIT, UsageError, type Command } from "../cli-error.js";
import { databaseOptions as common, print, table, withCliPool } from "../command-kit.js";

export const jobsStats: Command = {
  name: "jobs stats",
  summary: "Backlog by queue and state, oldest ready age, running, stuck, dead; late schedules",
  usage: `opskit jobs stats [--database-url URL] [--json]

Exit 1 when a job is stuck (its lease expired: its worker is gone) or a
schedule is late (its dead-man's switch fired); see docs/runbooks/stuck-jobs.md.`,
  async run(args, io) {
    const { values } = parse(args, common);
    const { stats, schedules } = await withCliPool(values, async (pool) => {
      const jobs = createJobsAdmin(pool);
      return { stats: await jobs.stats(), schedules: await jobs.schedules() };
    });
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
    const jobs = await withCliPool(values, (pool) =>
      createJobsAdmin(pool).listByState({ state, queue: values.queue, task: values.task, limit }),
    );
    print(
      io,
      values.json,
      { jobs },
      jobs.length
        ? table(jobs, ["id", "task", "queue", "state", "attempts", "run_at", "last_error"])
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
    const job = await withCliPool(values, (pool) => createJobsAdmin(pool).find(id));
    if (!job) {
      io.err(`no job ${id}`);
      return EXIT.failure;
    }
    print(io, values.json, { job }, JSON.stringify(job, null, 2));
    return EXIT.ok;
  },
};
