import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import path from "node:path";
import { test } from "node:test";
import { count, waitUntil, withPool } from "../../test/jobs.js";
import { createQueue } from "./create-queue.js";
import { defineTask } from "./define-task.js";

const fixture = path.resolve(import.meta.dirname, "../../test/fixtures/job-worker.ts");

function spawnWorker(url: string, env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, ["--import", "tsx", fixture], {
    env: { ...process.env, DATABASE_URL: url, ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
}

async function ready(child: ChildProcess): Promise<void> {
  let seen = "";
  for await (const chunk of child.stdout!) {
    seen += String(chunk);
    if (seen.includes("ready")) return;
  }
  throw new Error("worker exited before it was ready");
}

async function kill(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill(signal);
  await exited;
}

test("10,000 jobs, workers SIGKILLed at random and restarted: all complete, none lost, extra runs bounded by the kills", async () => {
  await withPool(async (pool, db) => {
    await pool.query("create table fixture_runs (job_id bigint not null)");
    const record = defineTask("record", async () => undefined);
    const queue = createQueue({ pool, tasks: [record] });
    const total = 10_000;
    for (let i = 0; i < total; i += 2_000) {
      await queue.addMany(Array.from({ length: 2_000 }, () => ({ task: record, payload: {} })));
    }
    const env = { LEASE_MS: "2000", CONCURRENCY: "8", PREFETCH: "24" };
    const capacity = 8 + 24; // concurrency + prefetch: the most one process holds at once
    const workers = [spawnWorker(db.url, env), spawnWorker(db.url, env)];
    await Promise.all(workers.map(ready));
    let kills = 0;
    const done = () => count(pool, "select 1 from opskit.job_history");
    while ((await done()) < total * 0.8 && kills < 12) {
      await new Promise((r) => setTimeout(r, 150 + Math.random() * 300));
      const victim = Math.floor(Math.random() * workers.length);
      await kill(workers[victim]!, "SIGKILL");
      kills++;
      workers[victim] = spawnWorker(db.url, env);
      await ready(workers[victim]);
    }
    await waitUntil(async () => (await done()) === total, "every job completed", 120_000);
    await Promise.all(workers.map((w) => kill(w, "SIGTERM")));
    assert.ok(kills >= 3, `only ${kills} kills happened`);
    assert.equal(await count(pool, "select 1 from opskit.jobs"), 0, "nothing left behind");
    assert.equal(await count(pool, "select 1 from opskit.dead_jobs"), 0);
    assert.equal(
      await count(pool, "select distinct job_id from fixture_runs"),
      total,
      "every job ran",
    );
    const runs = await count(pool, "select 1 from fixture_runs");
    const extra = runs - total;
    assert.ok(
      extra <= kills * capacity,
      `${extra} extra runs for ${kills} kills (bound ${kills * capacity})`,
    );
    const rescued = await count(pool, "select 1 from opskit.job_history where attempts > 1");
    assert.ok(rescued <= kills * capacity);
    console.log(`kills=${kills} extra_runs=${extra} rescued_jobs=${rescued}`);
  });
});

test("a backfill killed mid-run resumes from its checkpoint: no item processed twice, none skipped", async () => {
  await withPool(async (pool, db) => {
    await pool.query("create table fixture_items (item int not null, attempt int not null)");
    const backfill = defineTask("backfill", async () => undefined);
    const queue = createQueue({ pool, tasks: [backfill] });
    const total = 3_000;
    const { id } = await queue.add(backfill, { total, batch: 25 });
    const env = { LEASE_MS: "1500", CONCURRENCY: "1" };
    let worker = spawnWorker(db.url, env);
    await ready(worker);
    const items = () => count(pool, "select 1 from fixture_items");
    for (const threshold of [300, 1_200]) {
      await waitUntil(async () => (await items()) >= threshold, `${threshold} items`);
      await kill(worker, "SIGKILL");
      worker = spawnWorker(db.url, env);
      await ready(worker);
    }
    await waitUntil(
      async () => (await queue.get(id))?.state === "completed",
      "backfill completed",
      120_000,
    );
    await kill(worker, "SIGTERM");
    assert.equal(await items(), total);
    assert.equal(await count(pool, "select distinct item from fixture_items"), total);
    assert.equal(
      await count(pool, "select distinct attempt from fixture_items"),
      3,
      "three attempts shared the work",
    );
    const job = await queue.get(id);
    assert.equal(job?.attempts, 3);
    assert.deepEqual(job?.checkpoint, { cursor: total });
  });
});
