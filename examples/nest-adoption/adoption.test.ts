// The adopted Nest service (after/) as a real process over a real socket:
// its migrations applied by opskit, its controller unchanged but for the
// pool's token, probes, request ids, the envelope, and SIGTERM → exit 0.
// Run with its own tsconfig (decorators): TSX_TSCONFIG_PATH.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import path from "node:path";
import { test } from "node:test";
import { waitUntil, withTestDb } from "opskit/testing";

const here = import.meta.dirname;
const PORT = "55561"; // in this worktree's port range (55542–55641)

test("the adopted Nest service: migrations applied, routes unchanged, probes, request ids and the envelope added, SIGTERM exits 0", async () => {
  await withTestDb(async (db) => {
    const child = spawn(
      process.execPath,
      ["--conditions=opskit-source", "--import", "tsx", path.join(here, "after/main.ts")],
      {
        env: {
          PATH: process.env.PATH,
          TSX_TSCONFIG_PATH: path.join(here, "tsconfig.json"),
          DATABASE_URL: db.url,
          PORT,
          NODE_ENV: "production",
          LOG_LEVEL: "warn",
          OPSKIT_CONSOLE_ADMIN_TOKENS: "a".repeat(32),
          OPSKIT_SHUTDOWN_DRAIN_DELAY: "200ms",
        },
        stdio: ["ignore", "inherit", "inherit"],
      },
    );
    const exited = once(child, "exit") as Promise<[number | null, string | null]>;
    const base = `http://127.0.0.1:${PORT}`;
    try {
      await waitUntil(
        async () => (await fetch(`${base}/readyz`).catch(() => undefined))?.status === 200,
        "the service is ready",
      );
      const created = await fetch(`${base}/orders`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-request-id": "nest-order-1" },
        body: JSON.stringify({ item: "sourdough", qty: 2 }),
      });
      assert.equal(created.status, 201);
      assert.equal(created.headers.get("x-request-id"), "nest-order-1");
      const list = (await (await fetch(`${base}/orders`)).json()) as { item: string }[];
      assert.deepEqual(
        list.map((o) => o.item),
        ["sourdough"],
      );
      const refused = await fetch(`${base}/orders`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ item: "rye", qty: -1 }),
      });
      assert.equal(refused.status, 422);
      assert.equal(
        ((await refused.json()) as { error: { code: string } }).error.code,
        "UNPROCESSABLE",
      );
      assert.match(await (await fetch(`${base}/metrics`)).text(), /opskit_/);
      assert.equal((await fetch(`${base}/ops/login`)).status, 200);
    } finally {
      child.kill("SIGTERM");
    }
    const [code, signal] = await exited;
    assert.deepEqual([code, signal], [0, null]);
  });
});
