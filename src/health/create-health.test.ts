import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { isOpskitError } from "../errors.js";
import { createHealth } from "./create-health.js";
import type { HealthCheck, HealthCheckOutcome } from "./health-check.js";
import type { ReadinessBody } from "./health-routes.js";

/** A check whose outcome the test sets; counts its runs. */
function controlledCheck(name: string, extra: Partial<HealthCheck> = {}) {
  type Run = (signal: AbortSignal) => Promise<void | HealthCheckOutcome>;
  let next: Run = () => Promise.resolve();
  const state = {
    calls: 0,
    set(fn: Run) {
      next = fn;
    },
    check: {
      name,
      ...extra,
      run: (signal: AbortSignal) => {
        state.calls++;
        return next(signal);
      },
    } satisfies HealthCheck,
  };
  return state;
}

async function readyz(app: { request: (path: string) => Response | Promise<Response> }) {
  const res = await app.request("/readyz");
  return { res, body: (await res.json()) as ReadinessBody };
}

describe("livez", () => {
  test("answers 200 pass while a critical check fails and while shutting down", async () => {
    const db = controlledCheck("postgres");
    db.set(() => Promise.reject(new Error("down")));
    const health = createHealth({ checks: [db.check] });
    health.markStarted();
    await health.refresh();
    const callsBefore = db.calls;

    let res = await health.app.request("/livez");
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "application/health+json");
    assert.deepEqual(await res.json(), { status: "pass" });

    health.beginShutdown();
    res = await health.app.request("/livez");
    assert.equal(res.status, 200);
    assert.equal(db.calls, callsBefore, "livez touched a check");
    assert.equal((await readyz(health.app)).res.status, 503);
  });
});

describe("readyz", () => {
  test("fails while starting, even when every check passes", async () => {
    const db = controlledCheck("postgres");
    const health = createHealth({ checks: [db.check] });
    await health.refresh();
    const { res, body } = await readyz(health.app);
    assert.equal(res.status, 503);
    assert.equal(body.status, "fail");
    assert.equal(body.reason, "starting");
    assert.equal(body.state, "starting");
    assert.equal(health.isReady(), false);
  });

  test("fails with checks_pending when started before any check ran", async () => {
    const health = createHealth({ checks: [controlledCheck("postgres").check] });
    health.markStarted();
    const { res, body } = await readyz(health.app);
    assert.equal(res.status, 503);
    assert.equal(body.reason, "checks_pending");
    assert.equal(body.cacheAgeMs, null);
  });

  test("passes after markStarted with passing checks, and fails at once on beginShutdown", async () => {
    const db = controlledCheck("postgres");
    const health = createHealth({ checks: [db.check] });
    await health.refresh();
    health.markStarted();
    let { res, body } = await readyz(health.app);
    assert.equal(res.status, 200);
    assert.equal(body.status, "pass");
    assert.equal(body.state, "ready");
    assert.equal(body.reason, undefined);
    assert.equal(body.checks["postgres:responseTime"]?.status, "pass");
    assert.equal(health.isReady(), true);

    health.beginShutdown();
    ({ res, body } = await readyz(health.app));
    assert.equal(res.status, 503);
    assert.equal(body.reason, "shutting_down");
    assert.equal(health.state(), "shutting_down");
    health.markStarted();
    assert.equal(health.state(), "shutting_down", "the lifecycle went backwards");
    assert.equal((await health.app.request("/livez")).status, 200);
  });

  test("fails with check_failed and the check's output when a critical check fails", async () => {
    const db = controlledCheck("postgres");
    db.set(() => Promise.reject(Object.assign(new Error("db is gone"), { code: "ECONNREFUSED" })));
    const health = createHealth({ checks: [db.check] });
    health.markStarted();
    await health.refresh();
    const { res, body } = await readyz(health.app);
    assert.equal(res.status, 503);
    assert.equal(body.reason, "check_failed");
    assert.equal(body.checks["postgres:responseTime"]?.output, "ECONNREFUSED: db is gone");
  });

  test("a failing non-critical check does not affect readiness", async () => {
    const cache = controlledCheck("cache", { critical: false });
    cache.set(() => Promise.reject(new Error("cache down")));
    const health = createHealth({ checks: [cache.check] });
    health.markStarted();
    await health.refresh();
    const { res, body } = await readyz(health.app);
    assert.equal(res.status, 200);
    assert.equal(body.checks["cache:responseTime"]?.status, "fail");
    assert.equal(body.checks["cache:responseTime"]?.critical, false);
  });

  test("is answered from the cache while a check is still running", async () => {
    const db = controlledCheck("postgres", { timeoutMs: 600_000 });
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    let finish!: () => void;
    db.set(() => {
      started();
      return new Promise<void>((resolve) => (finish = resolve));
    });
    const health = createHealth({ checks: [db.check] });
    health.markStarted();
    const round = health.refresh();
    await running;
    const { res, body } = await readyz(health.app);
    assert.equal(res.status, 503);
    assert.equal(body.reason, "checks_pending");
    finish();
    await round;
    assert.equal((await readyz(health.app)).res.status, 200);
  });

  test("a check that never settles times out, reports fail, and is not piled up", async () => {
    const db = controlledCheck("postgres", { timeoutMs: 20 });
    let seen: AbortSignal | undefined;
    let finish!: () => void;
    db.set((signal) => {
      seen = signal;
      return new Promise<void>((resolve) => (finish = resolve));
    });
    const health = createHealth({ checks: [db.check] });
    health.markStarted();
    await health.refresh();
    const first = await readyz(health.app);
    assert.equal(first.res.status, 503);
    assert.equal(first.body.reason, "check_failed");
    assert.equal(first.body.checks["postgres:responseTime"]?.output, "timed out after 20 ms");
    assert.equal(seen?.aborted, true, "the check's signal was not aborted");
    assert.ok(isOpskitError(seen.reason, "HEALTH_CHECK_TIMEOUT"));

    // The check ignores its signal: the next round must not start a second copy.
    await health.refresh();
    assert.equal(db.calls, 1);
    const second = await readyz(health.app);
    assert.match(
      second.body.checks["postgres:responseTime"]?.output ?? "",
      /previous run has not finished/,
    );

    // Once it settles it runs again as usual.
    db.set(() => Promise.resolve());
    finish();
    await new Promise<void>((resolve) => setImmediate(resolve));
    await health.refresh();
    assert.equal(db.calls, 2);
    assert.equal((await readyz(health.app)).res.status, 200);
  });

  test("never runs a check per request", async () => {
    const db = controlledCheck("postgres");
    const health = createHealth({ checks: [db.check] });
    health.markStarted();
    await health.refresh();
    assert.equal(db.calls, 1);
    for (let i = 0; i < 50; i++) {
      assert.equal((await health.app.request("/readyz")).status, 200);
      assert.equal((await health.app.request("/health")).status, 200);
    }
    assert.equal(db.calls, 1);
  });

  test("reports the cache age, and fails a check whose result went stale", async () => {
    let clock = 1_000_000;
    const db = controlledCheck("postgres");
    const health = createHealth({ checks: [db.check], now: () => clock, intervalMs: 1000 });
    health.markStarted();
    await health.refresh();
    clock += 400;
    let { res, body } = await readyz(health.app);
    assert.equal(res.status, 200);
    assert.equal(body.cacheAgeMs, 400);
    assert.equal(body.checks["postgres:responseTime"]?.ageMs, 400);

    clock += 3 * 1000 + 500; // past 3 × interval + timeout since the last result
    ({ res, body } = await readyz(health.app));
    assert.equal(res.status, 503);
    assert.equal(body.reason, "check_failed");
    assert.match(
      body.checks["postgres:responseTime"]?.output ?? "",
      /^stale: last checked 3900 ms ago/,
    );
  });
});

describe("check results", () => {
  test("a check that returns nothing is measured in ms; returned values are kept", async () => {
    const plain = controlledCheck("postgres");
    const pool = controlledCheck("postgres", { measurement: "connections" });
    pool.set(() => Promise.resolve({ observedValue: 7, observedUnit: "connections" }));
    const health = createHealth({ checks: [plain.check, pool.check] });
    await health.refresh();
    const views = health.snapshot().checks;
    const [rt, conns] = views.map((v) => v.result);
    assert.equal(rt?.observedUnit, "ms");
    assert.equal(typeof rt?.observedValue, "number");
    assert.ok((rt?.observedValue ?? -1) >= 0);
    assert.deepEqual([conns?.observedValue, conns?.observedUnit], [7, "connections"]);
    assert.deepEqual(
      views.map((v) => v.key),
      ["postgres:responseTime", "postgres:connections"],
    );
  });

  test("a thrown error becomes a safe one-line output: code or class, message, masked URL credentials", async () => {
    const db = controlledCheck("postgres");
    db.set(() =>
      Promise.reject(
        new TypeError("cannot reach postgres://app:hunter2@db.internal:5432/app\n    at x"),
      ),
    );
    const health = createHealth({ checks: [db.check] });
    await health.refresh();
    const output = health.snapshot().checks[0]?.output ?? "";
    assert.equal(output, "TypeError: cannot reach postgres://app:***@db.internal:5432/app");
    assert.doesNotMatch(output, /hunter2|\bat\b/);
  });

  test("the sanitize hook is applied to errors and to check outputs", async () => {
    const thrower = controlledCheck("a");
    thrower.set(() => Promise.reject(new Error("token=abc123")));
    const warner = controlledCheck("b");
    warner.set(() => Promise.resolve({ status: "warn", output: "token=def456" }));
    const health = createHealth({
      checks: [thrower.check, warner.check],
      sanitize: (m) => m.replace(/token=\w+/g, "token=[redacted]"),
    });
    await health.refresh();
    assert.deepEqual(
      health.snapshot().checks.map((c) => c.output),
      ["Error: token=[redacted]", "token=[redacted]"],
    );
  });

  test("a duplicate key or a bad timeout is refused with HEALTH_CONFIG_INVALID", () => {
    const health = createHealth({ checks: [controlledCheck("postgres").check] });
    assert.throws(
      () => health.addCheck(controlledCheck("postgres").check),
      (e) => isOpskitError(e, "HEALTH_CONFIG_INVALID") && /postgres:responseTime/.test(e.message),
    );
    assert.throws(
      () => health.addCheck(controlledCheck("x", { timeoutMs: 0 }).check),
      (e) => isOpskitError(e, "HEALTH_CONFIG_INVALID"),
    );
    assert.throws(
      () => createHealth({ intervalMs: -1 }),
      (e) => isOpskitError(e, "HEALTH_CONFIG_INVALID"),
    );
  });
});

describe("lifecycle", () => {
  test("whenReady resolves once started with passing checks", async () => {
    const health = createHealth({ checks: [controlledCheck("postgres").check] });
    let resolved = false;
    const ready = health.whenReady().then(() => (resolved = true));
    await health.refresh();
    assert.equal(resolved, false);
    health.markStarted();
    await ready;
    assert.equal(resolved, true);
  });

  test("whenReady rejects with SHUTTING_DOWN when shutdown begins first", async () => {
    const health = createHealth();
    health.beginShutdown();
    await assert.rejects(health.whenReady(), (e) => isOpskitError(e, "SHUTTING_DOWN"));
  });

  test("start() runs a round at once, keeps running on the interval, and holds no ref'd timer", async () => {
    const db = controlledCheck("postgres");
    let secondRound!: () => void;
    const second = new Promise<void>((resolve) => (secondRound = resolve));
    db.set(() => {
      if (db.calls === 2) secondRound();
      return Promise.resolve();
    });
    const timersBefore = process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
    const health = createHealth({ checks: [db.check], intervalMs: 5 });
    await health.start();
    assert.equal(db.calls, 1);
    assert.equal(
      process.getActiveResourcesInfo().filter((r) => r === "Timeout").length,
      timersBefore,
      "the runner's timer keeps the event loop alive",
    );
    // The runner's timer is unref'd, so the test holds the event loop open itself while it waits.
    const keepAlive = setInterval(() => undefined, 60_000);
    await second;
    clearInterval(keepAlive);
    health.close();
    await assert.rejects(health.start(), (e) => isOpskitError(e, "HEALTH_CONFIG_INVALID"));
  });
});
