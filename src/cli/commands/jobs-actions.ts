import { createJobsAdmin, type JobsAdmin } from "../../jobs/index.js";
import { parse } from "../args.js";
import { EXIT, UsageError, type Command } from "../cli-error.js";
import {
  databaseOptions as common,
  parseDurationFlag,
  print,
  withCliPool,
} from "../command-kit.js";

/** Runs `fn` with the jobs admin handle on the command's database. */
function withJobsAdmin<T>(
  values: { "database-url"?: string | undefined },
  fn: (jobs: JobsAdmin) => Promise<T>,
): Promise<T> {
  return withCliPool(values, (pool) => fn(createJobsAdmin(pool)));
}

export const jobsRetry: Command = {
  name: "jobs retry",
  summary: "Retry dead jobs now (by id, or --all-dead [--task T] [--queue Q])",
  usage: `opskit jobs retry ID... | --all-dead [--task T] [--queue Q] [--database-url URL] [--json]

A retried job keeps its errors and checkpoint and gets a fresh set of
attempts. Exit 1 when an id is not a dead job.`,
  async run(args, io) {
    const { values, positionals } = parse(args, {
      ...common,
      "all-dead": { type: "boolean" },
      task: { type: "string" },
      queue: { type: "string" },
    });
    if (values["all-dead"]) {
      if (positionals.length) throw new UsageError("Give ids or --all-dead, not both.");
      const retried = await withJobsAdmin(values, (jobs) =>
        jobs.retryAllDead({ task: values.task, queue: values.queue }),
      );
      print(io, values.json, { retried }, `retried ${retried} dead job(s)`);
      return EXIT.ok;
    }
    if (positionals.length === 0) throw new UsageError("Give one or more job ids, or --all-dead.");
    const results = await withJobsAdmin(values, async (jobs) => {
      const out: { id: string; retried: boolean }[] = [];
      for (const id of positionals)
        out.push({ id, retried: /^\d{1,19}$/.test(id) && (await jobs.retryDead(id)) });
      return out;
    });
    print(
      io,
      values.json,
      { results },
      results.map((r) => (r.retried ? `retried ${r.id}` : `${r.id}: not a dead job`)).join("\n"),
    );
    return results.every((r) => r.retried) ? EXIT.ok : EXIT.failure;
  },
};

export const jobsCancel: Command = {
  name: "jobs cancel",
  summary: "Cancel a queued job, or signal a running one to stop",
  usage: `opskit jobs cancel ID [--database-url URL] [--json]

A queued job ends as cancelled at once; a running job's handler gets an
aborted signal (reason JOB_CANCELLED) and ends as cancelled. Exit 1 when no
unfinished job has that id.`,
  async run(args, io) {
    const { values, positionals } = parse(args, common);
    const id = positionals[0];
    if (!id || positionals.length > 1 || !/^\d{1,19}$/.test(id))
      throw new UsageError("Give one job id.");
    const result = await withJobsAdmin(values, (jobs) => jobs.cancel(id));
    const text = {
      cancelled: `cancelled ${id}`,
      cancelling: `${id} is running: its worker was told to stop it`,
      not_found: `no unfinished job ${id}`,
    }[result];
    print(io, values.json, { id, result }, text);
    return result === "not_found" ? EXIT.failure : EXIT.ok;
  },
};

function queueSwitch(name: "pause" | "resume"): Command {
  return {
    name: `jobs ${name}`,
    summary:
      name === "pause"
        ? "Pause a queue: workers stop claiming from it (running jobs finish)"
        : "Resume a paused queue",
    usage: `opskit jobs ${name} QUEUE [--database-url URL] [--json]`,
    async run(args, io) {
      const { values, positionals } = parse(args, common);
      const queue = positionals[0];
      if (!queue || positionals.length > 1) throw new UsageError("Give one queue name.");
      await withJobsAdmin(values, (jobs) =>
        name === "pause" ? jobs.pause(queue) : jobs.resume(queue),
      );
      print(
        io,
        values.json,
        { queue, paused: name === "pause" },
        `${name === "pause" ? "paused" : "resumed"} ${queue}`,
      );
      return EXIT.ok;
    },
  };
}
export const jobsPause = queueSwitch("pause");
export const jobsResume = queueSwitch("resume");

export const jobsRescue: Command = {
  name: "jobs rescue",
  summary: "Release now the running jobs whose lease expired (what the rescuer does)",
  usage: `opskit jobs rescue [--database-url URL] [--json]

Each is retried at once (counted as an attempt), dead if it was its last
attempt, or cancelled if that was requested.`,
  async run(args, io) {
    const { values } = parse(args, common);
    const result = await withJobsAdmin(values, (jobs) => jobs.rescue());
    print(
      io,
      values.json,
      result,
      `retried ${result.retried}, dead ${result.dead}, cancelled ${result.cancelled}`,
    );
    return EXIT.ok;
  },
};

export const jobsPrune: Command = {
  name: "jobs prune",
  summary: "Delete old completed/cancelled history and old dead jobs, in bounded batches",
  usage: `opskit jobs prune [--history-older-than 7d] [--dead-older-than 30d] [--database-url URL] [--json]`,
  async run(args, io) {
    const { values } = parse(args, {
      ...common,
      "history-older-than": { type: "string" },
      "dead-older-than": { type: "string" },
    });
    const historyOlderThanMs = parseDurationFlag(
      values["history-older-than"] ?? "7d",
      "--history-older-than",
    );
    const deadOlderThanMs = parseDurationFlag(
      values["dead-older-than"] ?? "30d",
      "--dead-older-than",
    );
    const pruned = await withJobsAdmin(values, (jobs) =>
      jobs.prune({ historyOlderThanMs, deadOlderThanMs, maxBatches: 1_000 }),
    );
    print(
      io,
      values.json,
      pruned,
      `pruned ${pruned.history} history row(s), ${pruned.dead} dead job(s), ${pruned.workers} silent worker row(s)`,
    );
    return EXIT.ok;
  },
};
