import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import http from "node:http";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { after, test } from "node:test";
import { createTestDatabase } from "./db.js";

const db = await createTestDatabase();
after(() => db.drop());

interface Outcome {
  status?: number;
  error?: string;
}

function request(agent: http.Agent, url: string): Promise<Outcome> {
  return new Promise((resolve) => {
    const req = http.get(url, { agent }, (res) => {
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode ?? 0 }));
      res.on("error", (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message }));
    });
    req.on("error", (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message }));
  });
}

interface Child {
  child: ChildProcess;
  lines: Record<string, unknown>[];
  ready: Promise<string>;
  /** Resolves once `n` log lines with this message have been seen. */
  seen: (msg: string, n: number) => Promise<void>;
}

function startChild(extraEnv: Record<string, string> = {}): Child {
  const waiters: { msg: string; n: number; resolve: () => void }[] = [];
  const child = spawn(process.execPath, ["--import", "tsx", "test/fixtures/slow-service.ts"], {
    env: {
      PATH: process.env.PATH,
      DATABASE_URL: db.url,
      PORT: "0",
      HOST: "127.0.0.1",
      NODE_ENV: "production",
      LOG_LEVEL: "info",
      OPSKIT_SHUTDOWN_DRAIN_DELAY: "1s",
      OPSKIT_SHUTDOWN_TIMEOUT: "10s",
      ...extraEnv,
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const lines: Record<string, unknown>[] = [];
  const ready = new Promise<string>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`service exited with ${code} before ready`)));
    createInterface({ input: child.stdout }).on("line", (text) => {
      try {
        const line = JSON.parse(text) as Record<string, unknown>;
        lines.push(line);
        if (line.msg === "ready") resolve(line.url as string);
        for (const w of waiters) {
          if (lines.filter((l) => l.msg === w.msg).length >= w.n) w.resolve();
        }
      } catch {
        // not a log line
      }
    });
  });
  const seen = (msg: string, n: number) =>
    new Promise<void>((resolve) => {
      if (lines.filter((l) => l.msg === msg).length >= n) resolve();
      else waiters.push({ msg, n, resolve });
    });
  return { child, lines, ready, seen };
}

test("SIGTERM under keep-alive load: readiness fails first, in-flight requests finish, zero failures, exit 0", async () => {
  const { child, lines, ready, seen } = startChild();
  const url = await ready;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  const outcomes: Outcome[] = [];
  let routable = true; // what a load balancer believes, from polling /readyz

  const poller = (async () => {
    const probeAgent = new http.Agent({ keepAlive: false });
    while (routable) {
      const res = await request(probeAgent, `${url}/readyz`);
      if (res.status === 503) routable = false;
      else await new Promise((r) => setTimeout(r, 50));
    }
  })();
  let completed = 0;
  let warmedUp: () => void = () => undefined;
  const warm = new Promise<void>((resolve) => (warmedUp = resolve));
  const loops = Array.from({ length: 6 }, async (_, i) => {
    while (routable) {
      const outcome = await request(agent, `${url}/${i % 2 ? "db" : "work?ms=20"}`);
      outcomes.push(outcome);
      if (++completed === 60) warmedUp();
    }
  });
  await warm;
  // Requests that outlive the drain delay: the server must wait for them.
  const long = Array.from({ length: 3 }, () => request(agent, `${url}/work?ms=1800`));
  await seen("long work started", 3);
  const exited = once(child, "exit") as Promise<[number | null, string | null]>;
  child.kill("SIGTERM");
  await Promise.all([poller, ...loops]);
  const longOutcomes = await Promise.all(long);
  const [code, signal] = await exited;
  agent.destroy();

  assert.equal(signal, null);
  assert.equal(code, 0, "exit code after a clean shutdown");
  const failures = [...outcomes, ...longOutcomes].filter((o) => o.status !== 200);
  assert.deepEqual(failures, [], "no failed request and no connection reset");
  assert.ok(outcomes.length >= 60);
  assert.deepEqual(
    longOutcomes.map((o) => o.status),
    [200, 200, 200],
    "in-flight requests finished",
  );
  const phases = lines.filter((l) => l.category === "shutdown" && typeof l.phase === "string");
  assert.deepEqual(
    phases.map((p) => p.phase),
    [
      "readiness",
      "drain_delay",
      "http",
      // The alert evaluator (roles worker and all) stops before the console.
      "alerts",
      "console",
      // Started first (docs/adapters.md): stops after every part, flushing the reporters.
      "error_reporting",
      "health",
      "pool",
      "metrics",
      "embedded_postgres",
    ],
  );
  assert.ok(
    phases.every((p) => typeof p.duration_ms === "number" && p.ok === true),
    `every phase ok: ${JSON.stringify(phases)}`,
  );
  assert.ok(
    (phases.find((p) => p.phase === "drain_delay")?.duration_ms as number) >= 1000,
    `the drain delay waited: ${JSON.stringify(phases)}`,
  );
  assert.ok(lines.some((l) => l.msg === "shutdown complete"));
});

test("a shutdown over budget exits non-zero", async () => {
  const { child, ready, seen } = startChild({
    OPSKIT_SHUTDOWN_DRAIN_DELAY: "0ms",
    OPSKIT_SHUTDOWN_TIMEOUT: "300ms",
  });
  const url = await ready;
  const agent = new http.Agent({ keepAlive: true });
  const pending = request(agent, `${url}/work?ms=3000`);
  await seen("long work started", 1);
  const exited = once(child, "exit") as Promise<[number | null]>;
  child.kill("SIGTERM");
  const [code] = await exited;
  assert.equal(code, 1);
  assert.notEqual((await pending).status, 200, "the request cut at the budget did not complete");
  agent.destroy();
});
