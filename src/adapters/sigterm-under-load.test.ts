// Each adapter as a real child process under keep-alive load (autocannon):
// SIGTERM, readiness fails, the load balancer (the poller here) stops
// routing, in-flight requests finish, zero failed requests, exit 0.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createRequire } from "node:module";
import { createInterface } from "node:readline";
import { after, test } from "node:test";
import { createTestDatabase } from "../testing/index.js";

interface CannonResult {
  errors: number;
  timeouts: number;
  non2xx: number;
  requests: { total: number };
  "2xx": number;
}
interface Cannon extends PromiseLike<CannonResult> {
  stop(): void;
  on(event: "response", listener: () => void): void;
}
const autocannon = createRequire(import.meta.url)("autocannon") as (options: {
  url: string;
  connections: number;
  duration: number;
  requests?: { path: string }[];
}) => Cannon;

const db = await createTestDatabase();
after(() => db.drop());

for (const framework of (process.env.ADAPTERS ?? "fastify,express,nest").split(",")) {
  test(`${framework}: SIGTERM under keep-alive load, zero failed requests, in-flight requests finish, exit 0`, async () => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "test/fixtures/adapted-service.ts", framework],
      {
        env: {
          PATH: process.env.PATH,
          DATABASE_URL: db.url,
          NODE_ENV: "production",
          LOG_LEVEL: "info",
          OPSKIT_CONSOLE: "false",
          // Longer than the poller (the load balancer) takes to see /readyz fail on a loaded machine.
          OPSKIT_SHUTDOWN_DRAIN_DELAY: "3s",
          OPSKIT_SHUTDOWN_TIMEOUT: "15s",
        },
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    const lines: Record<string, unknown>[] = [];
    const waiters: (() => void)[] = [];
    createInterface({ input: child.stdout }).on("line", (text) => {
      try {
        lines.push(JSON.parse(text) as Record<string, unknown>);
        for (const wake of waiters.splice(0)) wake();
      } catch {
        // not a log line
      }
    });
    const seen = async (msg: string, n = 1) => {
      while (lines.filter((l) => l.msg === msg).length < n) {
        await new Promise<void>((resolve) => waiters.push(resolve));
      }
      return lines.find((l) => l.msg === msg)!;
    };
    const exited = once(child, "exit") as Promise<[number | null, string | null]>;
    const ready: Record<string, unknown> = await Promise.race([
      seen("ready"),
      exited.then(() => ({})),
    ]);
    const url = ready.url as string;
    assert.ok(url, "the service started");

    const cannon = autocannon({
      url,
      connections: 8,
      duration: 60,
      requests: [{ path: "/work?ms=20" }, { path: "/db" }],
    });
    // Warmed up: the load is flowing before the signal.
    await new Promise<void>((resolve) => {
      let responses = 0;
      cannon.on("response", () => {
        if (++responses === 50) resolve();
      });
    });
    // Requests that outlive the drain delay: the server must wait for them.
    const long = Array.from({ length: 2 }, () =>
      fetch(`${url}/work?ms=1800`).then((r) => r.status),
    );
    await seen("long work started", 2);
    child.kill("SIGTERM");
    // The load balancer: routes until /readyz fails, then stops.
    for (;;) {
      const res = await fetch(`${url}/readyz`, { headers: { connection: "close" } });
      await res.body?.cancel();
      if (res.status === 503) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    cannon.stop();
    const result = await cannon;
    const longStatuses = await Promise.all(long);
    const [code, signal] = await exited;

    assert.equal(signal, null);
    const shutdown = lines.filter((l) => l.category === "shutdown" || l.level === 50);
    assert.equal(code, 0, `exit code after a clean shutdown: ${JSON.stringify(shutdown)}`);
    assert.deepEqual(
      { errors: result.errors, timeouts: result.timeouts, non2xx: result.non2xx },
      { errors: 0, timeouts: 0, non2xx: 0 },
    );
    assert.ok(result["2xx"] >= 50, `load was served: ${result["2xx"]} responses`);
    assert.deepEqual(longStatuses, [200, 200], "in-flight requests finished");
    const phases = lines
      .filter((l) => l.category === "shutdown" && typeof l.phase === "string")
      .map((l) => l.phase);
    assert.deepEqual(phases.slice(0, 2), ["readiness", "drain_delay"]);
    assert.ok(phases.includes("jobs") && phases.includes("pool"), phases.join(","));
    assert.ok(lines.some((l) => l.msg === "shutdown complete" && l.ok === true));
  });
}
