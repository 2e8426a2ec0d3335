import assert from "node:assert/strict";
import { test } from "node:test";
import { Hono } from "hono";
import { withTestDb } from "../../test/db.js";
import { defineConsoleScreen, html } from "../console/index.js";
import { defineTask } from "../jobs/index.js";
import { API_ROLES, WORKER_ROLES, type ServicePart } from "../service-part.js";
import { startService } from "./create-service.js";

const env = (url: string, role: string) => ({
  DATABASE_URL: url,
  PORT: "0",
  HOST: "127.0.0.1",
  LOG_LEVEL: "silent",
  NODE_ENV: "test",
  OPSKIT_ROLE: role,
  OPSKIT_CONSOLE_ADMIN_TOKENS: "a".repeat(32),
});

test("a service's own part contributes routes, tasks and a console screen, in its roles only, and stops in reverse order", async () => {
  await withTestDb(async (db) => {
    const events: string[] = [];
    const note = defineTask("note", async () => undefined);
    const screen = defineConsoleScreen({
      path: "/notes",
      title: "Notes",
      nav: 75,
      permissions: {},
      register: (deps) => deps.router.page("/notes", "Notes", async () => html`<p>notes</p>`),
    });
    const api: ServicePart = {
      name: "notes_api",
      roles: API_ROLES,
      declare: () => ({
        routes: [{ path: "/", app: new Hono().get("/notes", (c) => c.json({ notes: [] })) }],
        screens: [screen],
      }),
      start: () => {
        events.push("api started");
        return () => void events.push("api stopped");
      },
    };
    const worker: ServicePart = {
      name: "notes_worker",
      roles: WORKER_ROLES,
      declare: () => ({ tasks: [note] }),
      start: () => {
        events.push("worker started");
        return () => void events.push("worker stopped");
      },
    };
    const options = { name: "svc", version: "1.0.0", parts: [api, worker] };

    const all = await startService({ ...options, env: env(db.url, "all") });
    assert.equal((await fetch(`${all.url}/notes`)).status, 200);
    // The screen's page exists (it sends a visitor with no session to the login).
    const page = await fetch(`${all.url}/ops/notes`, { redirect: "manual" });
    assert.equal(page.status, 303);
    assert.match(page.headers.get("location") ?? "", /\/ops\/login/);
    assert.equal((await fetch(`${all.url}/ops/nothing-here`, { redirect: "manual" })).status, 404);
    assert.ok(all.queue.tasks.has("note"));
    assert.equal(await all.stop(), true);
    assert.deepEqual(events, ["api started", "worker started", "worker stopped", "api stopped"]);

    events.length = 0;
    const workerOnly = await startService({ ...options, env: env(db.url, "worker") });
    assert.equal(
      (await fetch(`${workerOnly.url}/notes`)).status,
      404,
      "no API route in role worker",
    );
    assert.equal(await workerOnly.stop(), true);
    assert.deepEqual(events, ["worker started", "worker stopped"]);
  });
});

test("two parts with one name are refused at boot", async () => {
  await withTestDb(async (db) => {
    const part: ServicePart = { name: "twice", roles: API_ROLES };
    await assert.rejects(
      startService({ name: "svc", version: "1.0.0", parts: [part, part], env: env(db.url, "api") }),
      /Two service parts are named "twice"/,
    );
  });
});
