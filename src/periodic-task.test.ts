import assert from "node:assert/strict";
import { test } from "node:test";
import { startPeriodicTask } from "./periodic-task.js";

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

test("a round in flight is joined, never doubled, and stop() waits for it", async () => {
  let rounds = 0;
  const gate = deferred();
  const started = deferred();
  const task = startPeriodicTask({
    intervalMs: 60_000,
    run: async () => {
      rounds++;
      started.resolve();
      await gate.promise;
      return rounds;
    },
    onError: () => assert.fail("no error expected"),
  });
  const first = task.runNow();
  const second = task.runNow();
  await started.promise;
  let stopped = false;
  const stopping = task.stop().then(() => (stopped = true));
  await Promise.resolve();
  assert.equal(stopped, false, "stop() waits for the running round");
  gate.resolve();
  assert.equal(await first, 1);
  assert.equal(await second, 1, "the second call joined the first round");
  await stopping;
  assert.equal(rounds, 1);
});

test("rounds follow each other at the interval; a failed round is reported and the next still runs", async () => {
  // The task's timer is unref'd (it never keeps a process alive): hold the loop open here.
  const keepAlive = setInterval(() => undefined, 1_000);
  const outcomes: string[] = [];
  const third = deferred();
  const errors: unknown[] = [];
  const task = startPeriodicTask({
    intervalMs: 5,
    immediate: true,
    run: async () => {
      outcomes.push(`round ${outcomes.length + 1}`);
      if (outcomes.length === 2) throw new Error("boom");
      if (outcomes.length === 3) third.resolve();
      return outcomes.length;
    },
    onError: (error) => errors.push(error),
  });
  await third.promise;
  await task.stop();
  clearInterval(keepAlive);
  const after = outcomes.length;
  assert.deepEqual(outcomes.slice(0, 3), ["round 1", "round 2", "round 3"]);
  assert.equal((errors[0] as Error).message, "boom");
  await new Promise((r) => setImmediate(r));
  assert.equal(outcomes.length, after, "no round after stop()");
});
