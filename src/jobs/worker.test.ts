import assert from "node:assert/strict";
import { test } from "node:test";
import { z } from "zod";
import { getLogContext } from "../log/index.js";
import { isOpskitError } from "../errors.js";
import { count, deferred, waitUntil, withPool } from "../../test/jobs.js";
import { createQueue } from "./create-queue.js";
import { defineTask } from "./define-task.js";
import { claimJobs } from "./sql/claim-jobs.js";
import { settleJobs } from "./sql/settle-jobs.js";

const fast = { pollIntervalMs: 50, heartbeatIntervalMs: 100 };

test("a worker runs jobs with their context, acks them into the history, and stops", async () => {
  await withPool(async (pool) => {
    const seen: { n: number; attempt: number; jobId: unknown }[] = [];
    const task = defineTask(
      "record",
      async (p, ctx) => {
        seen.push({ n: p.n, attempt: ctx.attempt, jobId: getLogContext()?.job_id });
      },
      { schema: z.object({ n: z.number() }) },
    );
    const queue = createQueue({ pool, tasks: [task] });
    const added = await queue.addMany(
      Array.from({ length: 50 }, (_, n) => ({ task, payload: { n } })),
    );
    const worker = queue.work({ concurrency: 4, ...fast });
    await waitUntil(
      async () => (await count(pool, "select 1 from opskit.job_history")) === 50,
      "50 completed",
    );
    assert.equal(await worker.stop(), true);
    assert.equal(await count(pool, "select 1 from opskit.jobs"), 0);
    assert.deepEqual(
      seen.map((s) => s.n).sort((a, b) => a - b),
      Array.from({ length: 50 }, (_, n) => n),
    );
    assert.ok(seen.every((s) => s.attempt === 1));
    assert.deepEqual(new Set(seen.map((s) => String(s.jobId))), new Set(added.map((a) => a.id)));
    const { rows } = await pool.query<{ state: string; attempts: number; started_at: Date }>(
      "select state, attempts, started_at from opskit.job_history limit 1",
    );
    assert.equal(rows[0]!.state, "completed");
    assert.equal(rows[0]!.attempts, 1);
    assert.ok(rows[0]!.started_at instanceof Date);
  });
});

test("failures retry with backoff, then the job is dead with every error; retry revives it", async () => {
  await withPool(async (pool) => {
    let calls = 0;
    let fail = true;
    const flaky = defineTask(
      "flaky",
      async () => {
        calls++;
        if (fail) throw new Error(`boom ${calls}`);
      },
      { maxAttempts: 3, backoff: { type: "fixed", delayMs: 1 } },
    );
    const queue = createQueue({ pool, tasks: [flaky] });
    const { id } = await queue.add(flaky, {});
    const worker = queue.work(fast);
    await waitUntil(
      async () => (await count(pool, "select 1 from opskit.dead_jobs")) === 1,
      "dead",
    );
    const dead = await queue.get(id);
    assert.equal(dead?.state, "dead");
    assert.equal(dead?.attempts, 3);
    assert.deepEqual(
      (dead?.errors as { message: string; attempt: number }[]).map((e) => [e.attempt, e.message]),
      [
        [1, "boom 1"],
        [2, "boom 2"],
        [3, "boom 3"],
      ],
    );
    assert.deepEqual(
      (await queue.list({ state: "dead" })).map((j) => [j.id, j.last_error]),
      [[id, "boom 3"]],
    );
    fail = false;
    assert.equal(await queue.retry(id), true);
    await waitUntil(
      async () => (await queue.get(id))?.state === "completed",
      "revived job completed",
    );
    assert.equal(calls, 4);
    assert.equal(await queue.retry(id), false);
    await worker.stop();
  });
});

test("a handler that hangs past its timeout, throws, or gets an invalid payload fails cleanly; the worker goes on", async () => {
  await withPool(async (pool) => {
    const hang = defineTask("hang", () => new Promise<void>(() => undefined), {
      timeoutMs: 100,
      maxAttempts: 1,
    });
    const strict = defineTask("strict", async () => undefined, {
      schema: z.object({ sku: z.string() }),
    });
    const throws = defineTask(
      "throws",
      async () => {
        throw new TypeError("cannot read sku of undefined");
      },
      { maxAttempts: 1 },
    );
    const ok = defineTask("ok", async () => undefined);
    const queue = createQueue({ pool, tasks: [hang, strict, throws, ok] });
    const hung = await queue.add(hang, {});
    const thrown = await queue.add(throws, {});
    // A trigger or an old producer can enqueue anything: the payload is checked again before the run.
    const { rows } = await pool.query<{ id: string }>(
      "select opskit.add_job('strict', '{\"sku\": 12}')::text as id",
    );
    const invalid = rows[0]!.id;
    const worker = queue.work({ concurrency: 1, abortGraceMs: 50, ...fast });
    await waitUntil(
      async () => (await count(pool, "select 1 from opskit.dead_jobs")) === 3,
      "3 dead",
    );
    const after = await queue.addMany(Array.from({ length: 5 }, () => ({ task: ok, payload: {} })));
    await waitUntil(
      async () =>
        (await count(pool, "select 1 from opskit.job_history where id = any($1)", [
          after.map((a) => a.id),
        ])) === 5,
      "the worker keeps going",
    );
    const error = async (id: string) =>
      ((await queue.get(id))?.errors as { code?: string; message: string }[])[0]!;
    assert.equal((await error(hung.id)).code, "JOB_TIMEOUT");
    assert.match((await error(thrown.id)).message, /cannot read sku/);
    assert.equal((await error(invalid)).code, "JOB_PAYLOAD_INVALID");
    assert.match((await error(invalid)).message, /sku/);
    assert.equal((await queue.get(invalid))?.attempts, 1);
    await worker.stop();
  });
});

test("a late completion from a worker that lost its lease changes nothing (fencing)", async () => {
  await withPool(async (pool) => {
    const task = defineTask("t", async () => undefined);
    const queue = createQueue({ pool, tasks: [task] });
    const { id } = await queue.add(task, {});
    const claim = {
      queues: ["default"],
      tasks: ["t"],
      limit: 10,
      leaseMs: 60_000,
      prepared: false,
    };
    const [a] = await claimJobs(pool, { ...claim, worker: "A" });
    assert.equal(a?.id, id);
    // A stalls past its lease; the rescuer puts the job back, B claims it.
    await pool.query("update opskit.jobs set lease_expires_at = now() - interval '1 second'");
    assert.deepEqual(await queue.rescue(), { retried: 1, dead: 0, cancelled: 0 });
    const [b] = await claimJobs(pool, { ...claim, worker: "B" });
    assert.equal(b?.attempts, 2);
    const opts = { keepHistory: true, prepared: false };
    const late = await settleJobs(
      pool,
      [{ id, attempt: 1, worker: "A", outcome: "completed" }],
      opts,
    );
    assert.equal(late.applied.size, 0);
    assert.equal((await queue.get(id))?.state, "running");
    const onTime = await settleJobs(
      pool,
      [{ id, attempt: 2, worker: "B", outcome: "completed" }],
      opts,
    );
    assert.equal(onTime.applied.get(id), "completed");
    const done = await queue.get(id);
    assert.equal(done?.state, "completed");
    assert.equal((done?.errors as { code: string }[])[0]?.code, "JOB_LEASE_LOST");
  });
});

test("only a running job has a lock holder, so the fence (attempt, worker) also means running", async () => {
  await withPool(async (pool) => {
    const task = defineTask("fenced-state", async () => undefined);
    const queue = createQueue({ pool, tasks: [task] });
    const { id } = await queue.add(task, {});
    const claim = { queues: ["default"], tasks: [task.name], limit: 1, leaseMs: 30_000 };
    const [a] = await claimJobs(pool, { ...claim, worker: "A", prepared: false });
    assert.equal(a?.id, id);
    // Taking the job out of running by hand while keeping its holder is refused...
    await assert.rejects(
      pool.query("update opskit.jobs set state = 'ready' where id = $1", [id]),
      /jobs_locked_by_running/,
    );
    // ...so a job put back by hand has no holder, and A's late outcome is fenced out.
    await pool.query("update opskit.jobs set state = 'ready', locked_by = null where id = $1", [
      id,
    ]);
    const opts = { keepHistory: true, prepared: false };
    const late = await settleJobs(
      pool,
      [{ id, attempt: 1, worker: "A", outcome: "completed" }],
      opts,
    );
    assert.equal(late.applied.size, 0);
    assert.equal((await queue.get(id))?.state, "ready");
  });
});

test("a claim undone by a database crash and claimed again by the same worker does not run the job twice", async () => {
  await withPool(async (pool) => {
    let runs = 0;
    const gate = deferred();
    const task = defineTask("undone-claim", async () => {
      runs++;
      await gate.promise;
    });
    const queue = createQueue({ pool, tasks: [task] });
    const { id } = await queue.add(task, {});
    const worker = queue.work({ concurrency: 2, ...fast });
    await waitUntil(() => runs === 1, "the job running");
    // What a crash before the claim's (asynchronous) commit reached disk leaves behind.
    await pool.query(
      `update opskit.jobs set state = 'ready', attempts = attempts - 1, locked_by = null,
         locked_at = null, lease_expires_at = null where id = $1`,
      [id],
    );
    await waitUntil(async () => (await queue.get(id))?.state === "running", "claimed again");
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(runs, 1, "the run in progress stands for the new claim");
    gate.resolve();
    await waitUntil(async () => (await queue.get(id))?.state === "completed", "completed");
    assert.equal((await queue.get(id))?.attempts, 1);
    assert.equal(runs, 1);
    assert.equal(await worker.stop(), true);
  });
});

test("cancel: a queued job at once; a running job through its signal (NOTIFY)", async () => {
  await withPool(async (pool) => {
    const started = deferred();
    let reason: unknown;
    const long = defineTask("long", async (_p, ctx) => {
      started.resolve();
      await new Promise<void>((resolve) =>
        ctx.signal.addEventListener("abort", () => {
          reason = ctx.signal.reason;
          resolve();
        }),
      );
    });
    const queue = createQueue({ pool, tasks: [long] });
    const queued = await queue.add(long, {}, { delayMs: 60_000 });
    assert.equal(await queue.cancel(queued.id), "cancelled");
    assert.equal((await queue.get(queued.id))?.state, "cancelled");
    const { id } = await queue.add(long, {});
    const worker = queue.work({ ...fast, heartbeatIntervalMs: 60_000 });
    await started.promise;
    assert.equal(await queue.cancel(id), "cancelling");
    await waitUntil(async () => (await queue.get(id))?.state === "cancelled", "cancelled");
    assert.ok(isOpskitError(reason, "JOB_CANCELLED"));
    assert.equal(await queue.cancel("999999"), "not_found");
    await worker.stop();
  });
});

test("pause stops claims from a queue until resume; poll-only mode works without LISTEN", async () => {
  await withPool(async (pool) => {
    const ran: string[] = [];
    const task = defineTask("t", async (p: { q: string }) => void ran.push(p.q), { queue: "a" });
    const queue = createQueue({ pool, tasks: [task] });
    await queue.pause("b");
    const worker = queue.work({ queues: ["a", "b"], listen: false, ...fast });
    await queue.add(task, { q: "b" }, { queue: "b" });
    await queue.add(task, { q: "a" });
    await waitUntil(() => ran.includes("a"), "queue a runs");
    const paused = (await queue.stats()).find((s) => s.queue === "b");
    assert.equal(paused?.paused, true);
    assert.equal(paused?.ready, 1);
    assert.deepEqual(ran, ["a"]);
    await queue.resume("b");
    await waitUntil(() => ran.includes("b"), "queue b runs after resume");
    await worker.stop();
  });
});

test("strict FIFO per key: one at a time, in order, even with many workers", async () => {
  await withPool(async (pool) => {
    const order: number[] = [];
    let active = 0;
    let maxActive = 0;
    const step = defineTask("step", async (p: { n: number }) => {
      active++;
      maxActive = Math.max(maxActive, active);
      await new Promise((r) => setImmediate(r));
      order.push(p.n);
      active--;
    });
    const queue = createQueue({ pool, tasks: [step] });
    await queue.addMany(
      Array.from({ length: 30 }, (_, n) => ({ task: step, payload: { n }, fifoKey: "order-1" })),
    );
    const workers = [1, 2, 3].map(() =>
      queue.work({ concurrency: 5, maintenance: false, ...fast }),
    );
    await waitUntil(() => order.length === 30, "30 steps");
    await Promise.all(workers.map((w) => w.stop()));
    assert.deepEqual(
      order,
      Array.from({ length: 30 }, (_, n) => n),
    );
    assert.equal(maxActive, 1);
  });
});

test("per-queue concurrency: global across workers (also for a worker that sets none) and local", async () => {
  await withPool(async (pool) => {
    let active = 0;
    let maxActive = 0;
    const release = deferred();
    const gate = defineTask(
      "gate",
      async () => {
        active++;
        maxActive = Math.max(maxActive, active);
        await release.promise;
        active--;
      },
      { queue: "narrow" },
    );
    const solo = defineTask("solo", async () => release.promise, { queue: "solo" });
    const queue = createQueue({ pool, tasks: [gate, solo] });
    await queue.setGlobalConcurrency("narrow", 3);
    await queue.addMany(Array.from({ length: 8 }, () => ({ task: gate, payload: {} })));
    await queue.addMany(Array.from({ length: 4 }, () => ({ task: solo, payload: {} })));
    const a = queue.work({
      queues: [{ name: "narrow", globalConcurrency: 3 }],
      concurrency: 10,
      ...fast,
    });
    const b = queue.work({ queues: ["narrow"], concurrency: 10, maintenance: false, ...fast });
    const c = queue.work({
      queues: [{ name: "solo", concurrency: 1 }],
      concurrency: 10,
      maintenance: false,
      ...fast,
    });
    const running = (q: string) =>
      count(pool, "select 1 from opskit.jobs where state = 'running' and queue = $1", [q]);
    await waitUntil(async () => (await running("narrow")) === 3, "3 narrow running");
    await waitUntil(async () => (await running("solo")) === 1, "1 solo running");
    // Several claim rounds pass (the heartbeat count moves on): the limits hold.
    const beats = async () => count(pool, "select 1 from opskit.job_workers");
    await waitUntil(async () => (await beats()) === 3, "3 workers registered");
    const before = a.lastHeartbeatAt()!;
    await waitUntil(() => (a.lastHeartbeatAt() ?? 0) > before, "a heartbeat passed");
    assert.equal(await running("narrow"), 3);
    assert.equal(await running("solo"), 1);
    assert.equal(c.load().running + c.load().buffered, 1);
    release.resolve();
    await waitUntil(
      async () => (await count(pool, "select 1 from opskit.job_history")) === 12,
      "all done",
    );
    assert.equal(maxActive, 3);
    await Promise.all([a.stop(), b.stop(), c.stop()]);
  });
});

test("a backlog drains batch after batch without waiting for the poll (no lost wake-ups)", async () => {
  await withPool(async (pool) => {
    let done = 0;
    const task = defineTask("tiny", async () => void done++);
    const queue = createQueue({ pool, tasks: [task] });
    await queue.addMany(Array.from({ length: 3_000 }, () => ({ task, payload: {} })));
    // A poll interval far beyond the guard below: only wake-ups from the worker itself can drain it.
    const worker = queue.work({ pollIntervalMs: 600_000, listen: false, maintenance: false });
    await waitUntil(() => done === 3_000, "3000 jobs done", 60_000);
    await worker.stop();
    assert.equal(await count(pool, "select 1 from opskit.jobs"), 0);
  });
});
