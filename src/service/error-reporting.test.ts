import assert from "node:assert/strict";
import { test } from "node:test";
import { Hono } from "hono";
import { defineTask } from "../jobs/index.js";
import type { ErrorContext, ErrorReporter } from "../log/index.js";
import { waitUntil, withTestDb } from "../testing/index.js";
import { startService } from "./create-service.js";

test("every unexpected 500 and every dead job reach the reporters and the log, with the request id", async () => {
  await withTestDb(async (db) => {
    const reported: { error: Error; context: ErrorContext }[] = [];
    const reporter: ErrorReporter = {
      reportError: (error, context) => void reported.push({ error, context }),
    };
    const throwing: ErrorReporter = {
      reportError: () => {
        throw new Error("the reporter itself is broken");
      },
    };
    const logs: Record<string, unknown>[] = [];
    const listeners = process.listenerCount("unhandledRejection");
    const broken = defineTask(
      "broken",
      () => {
        throw new Error("the printer is on fire");
      },
      { maxAttempts: 1 },
    );
    const service = await startService({
      name: "svc",
      version: "1.0.0",
      env: {
        DATABASE_URL: db.url,
        PORT: "0",
        HOST: "127.0.0.1",
        NODE_ENV: "test",
        LOG_LEVEL: "info",
        OPSKIT_JOBS_POLL_INTERVAL: "50ms",
        OPSKIT_SHUTDOWN_DRAIN_DELAY: "0s",
      },
      logDestination: {
        write: (line) => void logs.push(JSON.parse(line) as Record<string, unknown>),
      },
      reporters: [throwing, reporter],
      jobs: () => ({ tasks: [broken] }),
      routes: () =>
        new Hono()
          .get("/boom", () => {
            throw new Error("kaboom");
          })
          .get("/refused", () => {
            throw Object.assign(new Error("duplicate key"), { code: "23505", severity: "ERROR" });
          }),
    });
    try {
      const res = await fetch(`${service.url}/boom`, { headers: { "x-request-id": "req-500" } });
      assert.equal(res.status, 500);
      assert.equal((await fetch(`${service.url}/refused`)).status, 409);
      const http = reported.filter((r) => r.context.source === "http");
      assert.equal(http.length, 1, "a 409 the client caused is not reported");
      assert.equal(http[0]!.error.message, "kaboom");
      assert.equal(http[0]!.context.requestId, "req-500");
      assert.equal(http[0]!.context.route, "/boom");

      await service.queue.add(broken, {});
      await waitUntil(
        () => reported.some((r) => r.context.source === "job"),
        "the dead job reported",
      );
      const dead = reported.find((r) => r.context.source === "job")!;
      assert.equal(dead.error.message, "the printer is on fire");
      assert.equal(dead.context.task, "broken");

      // Unhandled rejections: in a child process (sentry.test.ts), node:test fails on them here.
      assert.ok(logs.some((l) => l.msg === "error reported" && l.source === "job"));
      assert.ok(
        logs.some((l) => l.msg === "an error reporter failed"),
        "a broken reporter is logged",
      );
    } finally {
      assert.equal(await service.stop(), true);
    }
    assert.equal(process.listenerCount("unhandledRejection"), listeners, "removed at stop");
  });
});
