import assert from "node:assert/strict";
import { test } from "node:test";
import { isOpskitError } from "../errors.js";
import { count, deferred, waitUntil, withPool } from "../../test/jobs.js";
import { createQueue } from "./create-queue.js";
import { defineTask } from "./define-task.js";

const fast = { pollIntervalMs: 50, heartbeatIntervalMs: 100 };

test("stop() returns prefetched jobs at once, lets running ones finish, interrupts the rest to resume from their checkpoint", async () => {
  await withPool(async (pool) => {
    const finishing = deferred();
    const started: string[] = [];
    let interruptedWith: unknown;
    const quick = defineTask("quick", async (_p, ctx) => {
      started.push(ctx.id);
      await finishing.promise;
    });
    const stubborn = defineTask("stubborn", async (_p, ctx) => {
      started.push(ctx.id);
      await ctx.checkpoint({ cursor: 40 });
      await new Promise<void>((resolve) =>
        ctx.signal.addEventListener("abort", () => {
          interruptedWith = ctx.signal.reason;
          resolve();
        }),
      );
    });
    const queue = createQueue({ pool, tasks: [quick, stubborn] });
    const q = await queue.add(quick, {}, { priority: 0 });
    const s = await queue.add(stubborn, {}, { priority: 1 });
    const rest = await queue.addMany(
      Array.from({ length: 6 }, () => ({ task: quick, payload: {}, priority: 2 })),
    );
    const worker = queue.work({ concurrency: 2, prefetch: 10, abortGraceMs: 100, ...fast });
    await waitUntil(() => started.length === 2, "two running");
    await waitUntil(() => worker.load().buffered === 6, "six prefetched");
    const stopping = worker.stop(1_500);
    // The prefetched jobs are back to ready, their attempt given back, while the two still run.
    await waitUntil(
      async () =>
        (await count(pool, "select 1 from opskit.jobs where state = 'ready' and attempts = 0")) ===
        6,
      "prefetched jobs released",
    );
    finishing.resolve();
    assert.equal(await stopping, true);
    assert.equal((await queue.get(q.id))?.state, "completed");
    assert.ok(isOpskitError(interruptedWith, "JOB_INTERRUPTED"));
    const interrupted = await queue.get(s.id);
    assert.equal(interrupted?.state, "ready");
    assert.equal(interrupted?.attempts, 0, "an interrupted attempt is given back");
    assert.deepEqual(interrupted?.checkpoint, { cursor: 40 });
    assert.equal((interrupted?.errors as { code: string }[])[0]?.code, "JOB_INTERRUPTED");
    for (const r of rest) assert.equal((await queue.get(r.id))?.state, "ready");
    assert.equal(await count(pool, "select 1 from opskit.job_workers"), 0);

    // The next worker resumes the interrupted job from its checkpoint.
    const resumedFrom = deferred<unknown>();
    const resumed = createQueue({
      pool,
      tasks: [
        quick,
        defineTask("stubborn", async (_p, ctx) => resumedFrom.resolve(ctx.checkpointed)),
      ],
    });
    const next = resumed.work(fast);
    assert.deepEqual(await resumedFrom.promise, { cursor: 40 });
    await next.stop();
  });
});

test("heartbeat() and progress() record signs of life; a lost claim aborts the handler", async () => {
  await withPool(async (pool) => {
    const recorded = deferred();
    const takenOver = deferred();
    const result = deferred<{ saved: boolean; reason: unknown }>();
    const task = defineTask("long", async (_p, ctx) => {
      await ctx.progress(0.25);
      assert.equal(await ctx.heartbeat(), true);
      recorded.resolve();
      await takenOver.promise;
      const saved = await ctx.checkpoint({ late: true });
      result.resolve({ saved, reason: ctx.signal.aborted ? ctx.signal.reason : undefined });
    });
    const queue = createQueue({ pool, tasks: [task] });
    const { id } = await queue.add(task, {});
    const worker = queue.work({ ...fast, heartbeatIntervalMs: 60_000 });
    await recorded.promise;
    const row = await queue.get(id);
    assert.equal(row?.progress, 0.25);
    assert.ok(row?.heartbeat_at);
    // Another node took the job over (as after a rescue): the claim no longer holds.
    await pool.query("update opskit.jobs set locked_by = 'someone-else' where id = $1", [id]);
    takenOver.resolve();
    const { saved, reason } = await result.promise;
    assert.equal(saved, false);
    assert.ok(isOpskitError(reason, "JOB_LEASE_LOST"));
    assert.equal((await queue.get(id))?.checkpoint, null);
    await pool.query("update opskit.jobs set locked_by = null, state = 'ready' where id = $1", [
      id,
    ]);
    await worker.stop();
  });
});
