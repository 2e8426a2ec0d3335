import assert from "node:assert/strict";
import { test } from "node:test";
import { Hono } from "hono";
import { withTestDb } from "../../test/db.js";
import { defineTask } from "../jobs/index.js";
import { startService } from "./create-service.js";

const env = (url: string, role: string) => ({
  DATABASE_URL: url,
  PORT: "0",
  HOST: "127.0.0.1",
  LOG_LEVEL: "silent",
  NODE_ENV: "test",
  OPSKIT_ROLE: role,
  OPSKIT_JOBS_POLL_INTERVAL: "50ms",
});

test("roles: api enqueues from routes but runs no worker; worker runs it, adds its readiness, drains it at shutdown", async () => {
  await withTestDb(async (db) => {
    const ran: string[] = [];
    const note = defineTask("note", async (p: { text: string }) => void ran.push(p.text));
    const options = {
      name: "svc",
      version: "1.0.0",
      jobs: () => ({ tasks: [note] }),
      routes: ({ queue }: { queue: import("../jobs/index.js").Queue }) =>
        new Hono().post("/notes", async (c) => c.json(await queue.add(note, { text: "hi" }), 201)),
    };
    const api = await startService({ ...options, env: env(db.url, "all") });
    await api.stop();
    const apiOnly = await startService({ ...options, env: env(db.url, "api") });
    const res = await fetch(`${apiOnly.url}/notes`, { method: "POST" });
    assert.equal(res.status, 201);
    const { id } = (await res.json()) as { id: string };
    const workers = await apiOnly.pool.query("select 1 from opskit.job_workers");
    assert.equal(workers.rowCount, 0);
    assert.equal((await apiOnly.queue.get(id))?.state, "ready");
    const health = (await (await fetch(`${apiOnly.url}/health`)).json()) as { checks: object };
    assert.ok(!("jobs-worker:heartbeat" in health.checks));
    assert.equal(await apiOnly.stop(), true);

    const worker = await startService({ ...options, env: env(db.url, "worker") });
    const ready = (await (await fetch(`${worker.url}/health`)).json()) as { checks: object };
    assert.ok("jobs-worker:heartbeat" in ready.checks);
    for (let i = 0; i < 500 && (await worker.queue.get(id))?.state !== "completed"; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.deepEqual(ran, ["hi"]);
    assert.equal(await worker.stop(), true);
    const after = await worker.pool
      .query("select 1 from opskit.job_workers")
      .catch(() => undefined);
    assert.equal(after, undefined, "the pool is closed after the jobs phase");
  });
});
