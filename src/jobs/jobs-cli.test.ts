import assert from "node:assert/strict";
import { test } from "node:test";
import { runCli } from "../cli/index.js";
import { count, withPool } from "../../test/jobs.js";
import { createQueue } from "./create-queue.js";
import { defineTask } from "./define-task.js";
import { claimJobs } from "./sql/claim-jobs.js";
import { settleJobs } from "./sql/settle-jobs.js";

async function cli(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

test("opskit jobs: stats, list, show, retry, cancel, pause, resume, rescue, prune", async () => {
  await withPool(async (pool, db) => {
    const url = ["--database-url", db.url];
    const task = defineTask("push", async () => undefined);
    const queue = createQueue({ pool, tasks: [task] });
    const [a, b, c] = await queue.addMany([
      { task, payload: { n: 1 } },
      { task, payload: { n: 2 } },
      { task, payload: { n: 3 }, queue: "slow" },
    ]);
    // a dies; b is claimed by a worker that vanishes (its lease expires).
    const claim = {
      worker: "gone",
      queues: ["default"],
      tasks: ["push"],
      leaseMs: 60_000,
      prepared: false,
    };
    await claimJobs(pool, { ...claim, limit: 1 });
    await settleJobs(
      pool,
      [
        {
          id: a!.id,
          attempt: 1,
          worker: "gone",
          outcome: "dead",
          error: { attempt: 1, at: "", message: "boom" },
        },
      ],
      { keepHistory: true, prepared: false },
    );
    await claimJobs(pool, { ...claim, limit: 1 });
    await pool.query(
      "update opskit.jobs set lease_expires_at = now() - interval '1 s' where id = $1",
      [b!.id],
    );

    const stats = await cli(["jobs", "stats", ...url, "--json"]);
    assert.equal(stats.code, 1, "a stuck job is a finding");
    const body = JSON.parse(stats.out) as {
      queues: { queue: string; dead: number; stuck: number; ready: number }[];
      stuck: number;
    };
    assert.equal(body.stuck, 1);
    assert.deepEqual(
      body.queues.map((q) => [q.queue, q.ready, q.stuck, q.dead]),
      [
        ["default", 0, 1, 1],
        ["slow", 1, 0, 0],
      ],
    );
    assert.match((await cli(["jobs", "stats", ...url])).out, /queue\s+scheduled\s+ready/);

    const dead = await cli(["jobs", "list", "--state", "dead", ...url]);
    assert.equal(dead.code, 0);
    assert.match(dead.out, new RegExp(`${a!.id}\\s+push\\s+default\\s+dead.*boom`));
    const show = await cli(["jobs", "show", a!.id, ...url, "--json"]);
    assert.equal((JSON.parse(show.out) as { job: { state: string } }).job.state, "dead");
    assert.equal((await cli(["jobs", "show", "424242", ...url])).code, 1);

    const rescue = await cli(["jobs", "rescue", ...url, "--json"]);
    assert.deepEqual(JSON.parse(rescue.out), { retried: 1, dead: 0, cancelled: 0 });
    assert.equal((await cli(["jobs", "stats", ...url])).code, 0);

    assert.equal((await cli(["jobs", "retry", a!.id, ...url])).code, 0);
    assert.equal((await queue.get(a!.id))?.state, "ready");
    assert.equal((await cli(["jobs", "retry", a!.id, ...url])).code, 1, "no longer dead");

    assert.equal((await cli(["jobs", "pause", "slow", ...url])).code, 0);
    assert.equal((await queue.stats()).find((q) => q.queue === "slow")?.paused, true);
    assert.equal((await cli(["jobs", "resume", "slow", ...url])).code, 0);
    assert.equal((await queue.stats()).find((q) => q.queue === "slow")?.paused, false);

    assert.match((await cli(["jobs", "cancel", c!.id, ...url])).out, /cancelled/);
    assert.equal((await cli(["jobs", "cancel", c!.id, ...url])).code, 1);

    await pool.query("update opskit.job_history set finished_at = now() - interval '8 days'");
    const prune = await cli(["jobs", "prune", ...url, "--json"]);
    assert.equal((JSON.parse(prune.out) as { history: number }).history, 1);
    assert.equal(await count(pool, "select 1 from opskit.job_history"), 0);
  });
});

test("opskit jobs: usage errors exit 2", async () => {
  const saved = process.env.DATABASE_URL;
  delete process.env.DATABASE_URL;
  try {
    assert.equal((await cli(["jobs", "stats"])).code, 2);
    assert.equal(
      (await cli(["jobs", "list", "--state", "lost", "--database-url", "postgres://x/y"])).code,
      2,
    );
    assert.equal((await cli(["jobs", "show", "--database-url", "postgres://x/y"])).code, 2);
    assert.equal(
      (
        await cli([
          "jobs",
          "prune",
          "--history-older-than",
          "soon",
          "--database-url",
          "postgres://x/y",
        ])
      ).code,
      2,
    );
    assert.match((await cli(["--help"])).out, /jobs stats/);
  } finally {
    if (saved !== undefined) process.env.DATABASE_URL = saved;
  }
});
