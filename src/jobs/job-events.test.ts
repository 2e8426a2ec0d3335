import assert from "node:assert/strict";
import { test } from "node:test";
import { createLogger } from "../log/index.js";
import { waitUntil, withPool } from "../../test/jobs.js";
import { createQueue } from "./create-queue.js";
import { defineTask } from "./define-task.js";
import type { JobFailureEvent, JobOutcomeEvent } from "./job-events.js";

const fast = { pollIntervalMs: 50, heartbeatIntervalMs: 100 };
const now = { type: "fixed", delayMs: 0 } as const;

test("a queue fires job.completed, job.failed and job.dead once each outcome is committed", async () => {
  await withPool(async (pool) => {
    const ok = defineTask("ok", () => undefined);
    const broken = defineTask(
      "broken",
      () => {
        throw new Error("the printer is on fire");
      },
      { maxAttempts: 2, backoff: now, queue: "printing" },
    );
    const queue = createQueue({ pool, tasks: [ok, broken] });
    // What the database holds when each event arrives: the outcome must already be there.
    let fired = 0;
    const seen = new Map<string, { job: JobOutcomeEvent; error?: string; row: unknown }>();
    const record = (event: string) => async (job: JobOutcomeEvent | JobFailureEvent) => {
      fired++;
      const row = await queue.get(job.id);
      const { error, ...fields } = job as JobFailureEvent;
      seen.set(event, {
        job: fields,
        ...(error ? { error: error.message } : {}),
        row: {
          state: row?.state,
          erred: ((row?.errors ?? []) as { attempt: number }[]).map((e) => e.attempt),
        },
      });
    };
    queue.on("job.completed", record("job.completed"));
    queue.on("job.failed", record("job.failed"));
    queue.on("job.dead", record("job.dead"));
    const done = await queue.add(ok, {});
    const dead = await queue.add(broken, {});
    const worker = queue.work({ concurrency: 2, ...fast });
    try {
      await waitUntil(() => seen.size === 3, "three events");
    } finally {
      await worker.stop();
    }
    assert.equal(fired, 3, "one event per outcome");
    assert.deepEqual(seen.get("job.completed"), {
      job: { id: done.id, task: "ok", queue: "default", attempt: 1 },
      row: { state: "completed", erred: [] },
    });
    assert.deepEqual(seen.get("job.dead"), {
      job: { id: dead.id, task: "broken", queue: "printing", attempt: 2 },
      error: "the printer is on fire",
      row: { state: "dead", erred: [1, 2] },
    });
    // When the listener looks, the retry may already be running again: the failed attempt's error is written.
    const failed = seen.get("job.failed")!;
    assert.deepEqual(failed.job, { id: dead.id, task: "broken", queue: "printing", attempt: 1 });
    assert.equal(failed.error, "the printer is on fire");
    assert.deepEqual((failed.row as { erred: number[] }).erred[0], 1);
  });
});

test("a throwing listener is logged and breaks nothing; an unsubscribed one hears no more", async () => {
  await withPool(async (pool) => {
    const logged: Record<string, unknown>[] = [];
    const log = createLogger({
      level: "error",
      destination: {
        write: (s: string) => void logged.push(JSON.parse(s) as Record<string, unknown>),
      },
    });
    const ok = defineTask("ok", () => undefined);
    const queue = createQueue({ pool, tasks: [ok], log });
    const heard: string[] = [];
    const unheard: string[] = [];
    queue.on("job.completed", () => {
      throw new Error("listener bug");
    });
    queue.on("job.completed", () => Promise.reject(new Error("async listener bug")));
    queue.on("job.completed", (job) => void heard.push(job.id));
    const off = queue.on("job.completed", (job) => void unheard.push(job.id));
    off();
    const first = await queue.add(ok, {});
    const worker = queue.work(fast);
    try {
      await waitUntil(() => heard.length === 1, "the first job heard");
      const second = await queue.add(ok, {});
      await waitUntil(() => heard.length === 2, "the second job heard");
      assert.deepEqual(heard, [first.id, second.id]);
      await waitUntil(() => logged.length === 4, "each failing listener logged per event");
    } finally {
      await worker.stop();
    }
    assert.deepEqual(unheard, []);
    assert.deepEqual(
      logged.map((l) => [l.msg, l.event, (l.err as { message?: string }).message]).sort(),
      [
        ["a queue event listener failed", "job.completed", "async listener bug"],
        ["a queue event listener failed", "job.completed", "async listener bug"],
        ["a queue event listener failed", "job.completed", "listener bug"],
        ["a queue event listener failed", "job.completed", "listener bug"],
      ],
    );
    assert.equal((await queue.get(first.id))?.state, "completed");
  });
});
