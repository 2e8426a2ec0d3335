/**
 * A service on its embedded Postgres, as `npm start` runs the demo, whose
 * Postgres dies (SIGKILL: an OOM kill, a crash) before the service is told
 * to stop: the shutdown must still finish, say so, and exit.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { test } from "node:test";

test("SIGTERM after the embedded Postgres was killed: shutdown completes, says so, and exits 1", async () => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "opskit-pg-death-"));
  try {
    const child = spawn(process.execPath, ["--import", "tsx", "test/fixtures/slow-service.ts"], {
      env: {
        PATH: process.env.PATH,
        PORT: "0",
        HOST: "127.0.0.1",
        NODE_ENV: "test",
        LOG_LEVEL: "info",
        OPSKIT_DATA_DIR: dataDir,
        OPSKIT_SHUTDOWN_DRAIN_DELAY: "0ms",
        OPSKIT_SHUTDOWN_TIMEOUT: "20s",
      },
      stdio: ["ignore", "pipe", "inherit"],
    });
    const lines: Record<string, unknown>[] = [];
    const exited = once(child, "exit") as Promise<[number | null, NodeJS.Signals | null]>;
    const ready = new Promise<void>((resolve, reject) => {
      void exited.then(([code]) => reject(new Error(`service exited with ${code} before ready`)));
      createInterface({ input: child.stdout }).on("line", (text) => {
        try {
          const line = JSON.parse(text) as Record<string, unknown>;
          lines.push(line);
          if (line.msg === "ready") resolve();
        } catch {
          // not a log line
        }
      });
    });
    await ready;
    const pid = Number(
      (await readFile(path.join(dataDir, "postgres", "postmaster.pid"), "utf8")).split("\n")[0],
    );
    process.kill(pid, "SIGKILL");
    // Wait until the server is gone (signal 0 fails), not a fixed time.
    while (alive(pid)) await new Promise((resolve) => setImmediate(resolve));
    child.kill("SIGTERM");
    const [code] = await exited;
    const complete = lines.find((l) => l.msg === "shutdown complete");
    assert.ok(
      complete,
      `no "shutdown complete" line; last lines: ${JSON.stringify(lines.slice(-5))}`,
    );
    assert.equal(complete.ok, false, "a shutdown whose database had died is not ok");
    const embedded = lines.find((l) => l.msg === "shutdown: embedded_postgres");
    assert.equal(embedded?.ok, false);
    // 1, not 0: the database died under the service (a failure to look at), and not
    // 13, Node's exit for a top-level await left pending when the event loop emptied.
    assert.equal(code, 1);
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
