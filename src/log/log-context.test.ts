import assert from "node:assert/strict";
import { EventEmitter, once } from "node:events";
import { test } from "node:test";
import { createLogger } from "./create-logger.js";
import { getLogContext, runWithLogContext } from "./log-context.js";

function capture() {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({
    level: "debug",
    destination: {
      write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>),
    },
  });
  return { log, lines };
}

test("lines inside runWithLogContext carry the context, across await, timers and child loggers", async () => {
  const { log, lines } = capture();
  const http = log.child({ category: "http" });
  await runWithLogContext({ request_id: "req-1" }, async () => {
    log.info("sync");
    await Promise.resolve();
    http.info("after await");
    const timer = new Promise<void>((resolve) =>
      setTimeout(() => {
        http.child({ component: "x" }).info("in timer");
        resolve();
      }, 0),
    );
    await timer;
    const emitter = new EventEmitter();
    const fired = once(emitter, "go");
    setImmediate(() => emitter.emit("go"));
    await fired;
    log.info("after event");
  });
  assert.deepEqual(
    lines.map((l) => [l.msg, l.request_id]),
    [
      ["sync", "req-1"],
      ["after await", "req-1"],
      ["in timer", "req-1"],
      ["after event", "req-1"],
    ],
  );
  assert.equal(lines[1]?.category, "http");
  assert.equal(lines[2]?.component, "x");
});

test("no context outside runWithLogContext, and none leaks out of it", async () => {
  const { log, lines } = capture();
  log.info("before");
  await runWithLogContext({ request_id: "req-2" }, async () => undefined);
  log.info("after");
  assert.equal(getLogContext(), undefined);
  for (const line of lines) assert.equal("request_id" in line, false);
});

test("nested contexts merge; the inner field wins; the outer is restored after", async () => {
  const { log, lines } = capture();
  await runWithLogContext({ request_id: "req-3", step: "outer" }, async () => {
    await runWithLogContext({ job_id: 42, step: "inner" }, async () => {
      await Promise.resolve();
      log.info("job");
    });
    log.info("request");
  });
  assert.deepEqual(
    lines.map((l) => [l.msg, l.request_id, l.job_id, l.step]),
    [
      ["job", "req-3", 42, "inner"],
      ["request", "req-3", undefined, "outer"],
    ],
  );
});

test("concurrent contexts do not mix", async () => {
  const { log, lines } = capture();
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const a = runWithLogContext({ request_id: "a" }, async () => {
    await gate;
    log.info("a");
  });
  const b = runWithLogContext({ request_id: "b" }, async () => {
    release();
    await gate;
    log.info("b");
  });
  await Promise.all([a, b]);
  for (const line of lines) assert.equal(line.request_id, line.msg);
});

test("getLogContext returns the merged context, frozen, and the caller's object is untouched", () => {
  const outer = { request_id: "r" };
  runWithLogContext(outer, () => {
    runWithLogContext({ job_id: 1 }, () => {
      const context = getLogContext();
      assert.deepEqual(context, { request_id: "r", job_id: 1 });
      assert.equal(Object.isFrozen(context), true);
    });
  });
  assert.deepEqual(outer, { request_id: "r" });
});

test("runWithLogContext returns what its function returns", async () => {
  assert.equal(
    runWithLogContext({ a: 1 }, () => 5),
    5,
  );
  assert.equal(await runWithLogContext({ a: 1 }, async () => 6), 6);
});

test("a field of the log call wins over the context", () => {
  const { log, lines } = capture();
  runWithLogContext({ request_id: "ctx" }, () => log.info({ request_id: "call" }, "x"));
  assert.equal(lines[0]?.request_id, "call");
});
