import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import { test } from "node:test";
import express from "express";
import { adapterServiceOptions, checkAdapter, DUPLICATE_INSERT } from "../../../test/adapters.js";
import { withTestDb } from "../../testing/index.js";
import { opskitExpress, startAdaptedService, type OpskitLocals } from "./index.js";

test("Express: probes, metrics, the error envelope, request ids in the logs, the inbox, the console and route guards on one Express app; close() drains and stops the parts", async () => {
  await withTestDb(async (db) => {
    const logs: Record<string, unknown>[] = [];
    const service = await startAdaptedService(adapterServiceOptions(db.url, logs));
    const { pool, log } = service.service;
    const opskit = opskitExpress(service);
    const app = express();
    app.use(opskit.router);
    app.use(express.json());
    app.get("/hello", (_req, res) => {
      log.info("hello from route");
      res.json({ ok: true });
    });
    app.get("/boom", () => {
      throw new Error("kaboom: the secret detail");
    });
    app.post("/items", async (_req, res) => {
      await pool.query(DUPLICATE_INSERT);
      res.json({});
    });
    app.get("/private", opskit.requireRole(), (_req, res) => {
      res.json({ subject: (res.locals as OpskitLocals).principal?.subject });
    });
    app.get("/admin", opskit.requireRole("admin"), (_req, res) => void res.json({ ok: true }));
    app.use(opskit.notFound, opskit.errorHandler);
    const server = app.listen(0, "127.0.0.1");
    await new Promise((resolve) => server.once("listening", resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    let closed = false;
    try {
      await checkAdapter(base, { pool, logs });
      assert.equal(await opskit.close(server), true);
      closed = true;
      const phases = logs.filter((l) => l.category === "shutdown" && typeof l.phase === "string");
      assert.deepEqual(phases.map((p) => p.phase).slice(0, 2), ["readiness", "drain_delay"]);
      assert.equal(await pool.query("select 1").catch(() => "closed"), "closed");
    } finally {
      if (!closed) await opskit.close(server);
    }
  });
});
