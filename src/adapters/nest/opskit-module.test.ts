import assert from "node:assert/strict";
import { test } from "node:test";
import "reflect-metadata";
import { Module } from "@nestjs/common";
import { NestFactory } from "@nestjs/core";
import { adapterServiceOptions, checkAdapter } from "../../../test/adapters.js";
import { createNestApp } from "../../../test/nest-app.js";
import { withTestDb } from "../../testing/index.js";
import {
  OPSKIT,
  OPSKIT_JOBS_ADMIN,
  OPSKIT_QUEUE,
  OpskitModule,
  type AdaptedService,
} from "./index.js";

test("Nest: OpskitModule serves probes, metrics, the envelope, request ids, the inbox, the console and guards; close() drains, then the parts stop", async () => {
  await withTestDb(async (db) => {
    const logs: Record<string, unknown>[] = [];
    const app = await createNestApp(adapterServiceOptions(db.url, logs));
    await app.listen(0, "127.0.0.1");
    const base = (await app.getUrl()).replace("[::1]", "127.0.0.1");
    const adapted = app.get<AdaptedService<unknown>>(OPSKIT);
    const { pool } = adapted.service;
    assert.equal(app.get(OPSKIT_QUEUE), adapted.service.queue);
    assert.equal(typeof app.get<{ stats: unknown }>(OPSKIT_JOBS_ADMIN).stats, "function");
    let closed = false;
    try {
      await checkAdapter(base, { pool, logs });
      await app.close();
      closed = true;
      const phases = logs.filter((l) => l.category === "shutdown" && typeof l.phase === "string");
      assert.deepEqual(phases.map((p) => p.phase).slice(0, 2), ["readiness", "drain_delay"]);
      assert.equal(await pool.query("select 1").catch(() => "closed"), "closed");
    } finally {
      if (!closed) await app.close();
    }
  });
});

test("Nest: forRootAsync takes the service's options from another module's provider (imports, inject)", async () => {
  await withTestDb(async (db) => {
    const logs: Record<string, unknown>[] = [];
    const SETTINGS = "SETTINGS";
    // A settings module of the application's own, as a config service would be.
    class SettingsModule {}
    Module({
      providers: [{ provide: SETTINGS, useValue: adapterServiceOptions(db.url, logs) }],
      exports: [SETTINGS],
    })(SettingsModule);
    class AppModule {}
    Module({
      imports: [
        OpskitModule.forRootAsync({
          imports: [SettingsModule],
          inject: [SETTINGS],
          useFactory: (settings: ReturnType<typeof adapterServiceOptions>) => ({
            ...settings,
            name: "adapted-async",
          }),
        }),
      ],
    })(AppModule);
    const app = await NestFactory.create(AppModule, { logger: false });
    await app.listen(0, "127.0.0.1");
    try {
      const base = (await app.getUrl()).replace("[::1]", "127.0.0.1");
      const health = await fetch(`${base}/health`);
      assert.equal(health.status, 200);
      assert.ok(app.get<AdaptedService<unknown>>(OPSKIT).service.pool);
      assert.ok(
        logs.some((l) => l.name === "adapted-async"),
        "the log lines carry the name the factory gave",
      );
    } finally {
      await app.close();
    }
  });
});
