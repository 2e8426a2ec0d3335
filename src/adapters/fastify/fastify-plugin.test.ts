import assert from "node:assert/strict";
import { test } from "node:test";
import Fastify from "fastify";
import { adapterServiceOptions, checkAdapter, DUPLICATE_INSERT } from "../../../test/adapters.js";
import { withTestDb } from "../../testing/index.js";
import { opskitFastify, requireRole, startAdaptedService } from "./index.js";

test("Fastify: probes, metrics, the error envelope, request ids in the logs, the inbox, the console and route guards on one Fastify server; parts stop in onClose", async () => {
  await withTestDb(async (db) => {
    const logs: Record<string, unknown>[] = [];
    const service = await startAdaptedService(adapterServiceOptions(db.url, logs));
    const { pool, log } = service.service;
    const app = Fastify();
    await app.register(opskitFastify, { service, exitOnSignals: false });
    app.get("/hello", async () => {
      log.info("hello from route");
      return { ok: true };
    });
    app.get("/boom", async () => {
      throw new Error("kaboom: the secret detail");
    });
    app.post("/items", async () => pool.query(DUPLICATE_INSERT));
    app.get("/private", { preHandler: requireRole() }, async (request) => ({
      subject: request.principal?.subject,
    }));
    app.get("/admin", { preHandler: requireRole("admin") }, async () => ({ ok: true }));
    const base = await app.listen({ port: 0, host: "127.0.0.1" });
    let closed = false;
    try {
      await checkAdapter(base, { pool, logs });
      await app.close();
      closed = true;
      const phases = logs.filter((l) => l.category === "shutdown" && typeof l.phase === "string");
      assert.deepEqual(
        phases.map((p) => p.phase).slice(0, 2),
        ["readiness", "drain_delay"],
        "readiness failed first",
      );
      assert.ok(phases.some((p) => p.phase === "pool"));
      assert.equal(
        await pool.query("select 1").catch(() => "closed"),
        "closed",
        "the pool is closed in onClose",
      );
    } finally {
      if (!closed) await app.close();
    }
  });
});
