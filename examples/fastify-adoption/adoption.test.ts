// The adopted orders service (after/) over a real socket: its Prisma
// migrations applied by opskit's runner, its routes unchanged, and what the
// plugin added: probes, metrics, request ids, the error envelope.
import assert from "node:assert/strict";
import { test } from "node:test";
import { startAdaptedService } from "opskit/fastify";
import { withTestDb } from "opskit/testing";
import { buildApp } from "./after/app.js";

test("the adopted Fastify service: Prisma migrations applied, routes unchanged, probes, metrics and the envelope added", async () => {
  await withTestDb(async (db) => {
    const opskit = await startAdaptedService({
      name: "orders",
      version: "1.0.0",
      migrationsDir: new URL("prisma/migrations", import.meta.url).pathname,
      env: {
        DATABASE_URL: db.url,
        NODE_ENV: "test",
        LOG_LEVEL: "silent",
        OPSKIT_SHUTDOWN_DRAIN_DELAY: "0s",
      },
    });
    const app = await buildApp(opskit);
    const base = await app.listen({ port: 0, host: "127.0.0.1" });
    try {
      const { rows } = await opskit.service.pool.query<{ name: string }>(
        "select name from opskit.schema_migrations where source = 'app' order by name",
      );
      assert.deepEqual(
        rows.map((r) => r.name),
        ["20250301093000_init", "20250315140000_order_qty_check"],
      );
      const created = await fetch(`${base}/orders`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-request-id": "order-1" },
        body: JSON.stringify({ item: "sourdough", qty: 2 }),
      });
      assert.equal(created.status, 201);
      assert.equal(created.headers.get("x-request-id"), "order-1");
      const list = (await (await fetch(`${base}/orders`)).json()) as { item: string }[];
      assert.deepEqual(
        list.map((o) => o.item),
        ["sourdough"],
      );
      // The check constraint: before, a 500; now 422 in the envelope.
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
      const notJson = await fetch(`${base}/orders`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "{",
      });
      assert.equal(notJson.status, 400);
      assert.equal((await fetch(`${base}/readyz`)).status, 200);
      assert.match(await (await fetch(`${base}/metrics`)).text(), /opskit_/);
    } finally {
      await app.close();
    }
  });
});
