import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { createPool, startEmbeddedPostgres } from "../db/index.js";
import { migrate, toolkitMigrationsDir } from "../migrate/index.js";
import { count, waitUntil } from "../../test/jobs.js";
import type { Worker } from "./create-worker.js";
import { createQueue } from "./create-queue.js";
import { defineTask } from "./define-task.js";

test("Postgres restarted under load: workers reconnect and finish; nothing is lost", async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), "opskit-pg-restart-"));
  const settings = { fsync: "off", synchronous_commit: "off", full_page_writes: "off" };
  // Below Linux's ephemeral range (32768–60999): the server comes back on the
  // same port, which an outgoing connection's local port (the pool's own
  // reconnects included) could otherwise hold at that moment.
  const port = 20_000 + Math.floor(Math.random() * 10_000);
  let server = await startEmbeddedPostgres({
    dataDir: path.join(dir, "pg"),
    port,
    persistent: true,
    settings,
  });
  const pool = createPool({
    connectionString: server.url,
    max: 10,
    connectionTimeoutMillis: 2_000,
  });
  let workers: Worker[] = [];
  try {
    const { error } = await migrate({
      connectionString: server.url,
      sources: [{ source: "opskit", dir: toolkitMigrationsDir }],
    });
    assert.equal(error, undefined);
    const work = defineTask("work", async () => {
      await pool.query("select pg_sleep(0.001)");
    });
    const queue = createQueue({ pool, tasks: [work] });
    const total = 3_000;
    await queue.addMany(Array.from({ length: total }, () => ({ task: work, payload: {} })));
    const options = {
      concurrency: 4,
      leaseMs: 3_000,
      pollIntervalMs: 100,
      heartbeatIntervalMs: 300,
    };
    workers = [queue.work(options), queue.work({ ...options, maintenance: false })];
    const completed = () => count(pool, "select 1 from opskit.job_history").catch(() => -1);
    await waitUntil(async () => (await completed()) >= 500, "500 completed before the restart");

    await server.stop();
    server = await startEmbeddedPostgres({
      dataDir: path.join(dir, "pg"),
      port,
      persistent: true,
      settings,
    });
    assert.equal(server.port, port);

    const more = await (async () => {
      for (;;) {
        try {
          return await queue.addMany(
            Array.from({ length: 500 }, () => ({ task: work, payload: {} })),
          );
        } catch {
          await new Promise((r) => setTimeout(r, 100)); // the pool's first connections after the restart
        }
      }
    })();
    assert.equal(more.length, 500);
    await waitUntil(
      async () => (await completed()) === total + 500,
      "every job completed",
      120_000,
    );
    assert.equal(await count(pool, "select 1 from opskit.jobs"), 0);
    assert.equal(await count(pool, "select 1 from opskit.dead_jobs"), 0);
    assert.deepEqual(await Promise.all(workers.map((w) => w.stop())), [true, true]);
  } finally {
    // After a failure too: a running worker's LISTEN client would hold pool.end() forever.
    await Promise.all(workers.map((w) => w.stop(1_000)));
    await pool.end();
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
});
