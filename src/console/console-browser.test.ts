/**
 * The console in a real headless Chromium (Debian's `chromium`, driven by
 * playwright-core): log in, read the overview, filter dead jobs, retry one
 * and see it run, replay an inbox event, pause and resume a source, be
 * refused an admin action as a viewer and a POST without a CSRF token.
 * Screenshots of each screen go to test-results/console/ (git-ignored).
 */
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { createTestDatabase, type TestDatabase } from "../../test/db.js";
import { waitUntil } from "../../test/jobs.js";
import { findInboxEvent, hmacVerifier } from "../inbox/index.js";
import { defineTask } from "../jobs/index.js";
import { startService, type RunningService } from "../service/index.js";

const CHROMIUM = "/usr/bin/chromium";
const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const ADMIN = "a1".repeat(16);
const VIEWER = "c3".repeat(16);
const SECRET = "browser-test-signing-secret";
const SHOTS = path.resolve(import.meta.dirname, "../../test-results/console");

const missing = !existsSync(CHROMIUM);
// In CI a missing browser is a failure (.ci/run installs it); locally the tests skip and say why.
const skip =
  missing && !process.env.CI ? `${CHROMIUM} is missing: apt-get install -y chromium` : false;

let db: TestDatabase;
let service: RunningService<unknown>;
let context: BrowserContext;
let profile: string;
let broken = true;
const consoleErrors: string[] = [];

const flaky = defineTask<{ order: string }>(
  "push-inventory",
  async () => {
    if (broken) throw new Error("store API answered 503");
  },
  { maxAttempts: 1 },
);

before(async () => {
  if (skip) return;
  assert.ok(
    !missing,
    `${CHROMIUM} is missing: CI must install it (.ci/run: apt-get install chromium)`,
  );
  db = await createTestDatabase();
  service = await startService({
    name: "console-browser",
    version: "1.0.0",
    env: {
      DATABASE_URL: db.url,
      PORT: "0",
      HOST: "127.0.0.1",
      LOG_LEVEL: "silent",
      NODE_ENV: "test",
      OPSKIT_JOBS_POLL_INTERVAL: "50ms",
      OPSKIT_CONSOLE_ADMIN_TOKENS: ADMIN,
      OPSKIT_CONSOLE_VIEWER_TOKENS: VIEWER,
    },
    jobs: () => ({ tasks: [flaky] }),
    inbox: () => ({
      sources: [
        {
          name: "shop",
          verifier: hmacVerifier({
            secrets: [SECRET],
            header: "x-sig",
            dedupeKey: { json: "id" },
            topic: { json: "topic" },
          }),
          handler: async () => undefined,
        },
      ],
    }),
  });
  await mkdir(SHOTS, { recursive: true });
  profile = await mkdtemp(path.join(os.tmpdir(), "opskit-chromium-"));
  // A fresh profile (user data dir) per run: no cookie or storage from elsewhere.
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    viewport: { width: 1360, height: 900 },
  });
  context.on("page", watch);
  for (const page of context.pages()) watch(page);
});
after(async () => {
  if (skip) return;
  await context?.close();
  await service?.stop("test done");
  await db?.drop();
  if (profile) await rm(profile, { recursive: true, force: true });
});

function watch(page: Page): void {
  page.on("console", (message) => {
    if (message.type() === "error") consoleErrors.push(message.text());
  });
}

const url = (p: string) => `${service.url}${p}`;

async function page(): Promise<Page> {
  return context.pages()[0] ?? context.newPage();
}

async function shot(p: Page, name: string): Promise<void> {
  await p.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

async function logIn(p: Page, token: string): Promise<void> {
  await context.clearCookies();
  await p.goto(url("/ops"));
  assert.match(p.url(), /\/ops\/login/);
  await p.locator('form:has(input[name="token"]) input[name="token"]').fill(token);
  await p.locator('form:has(input[name="token"]) button[type="submit"]').click();
  await p.waitForURL(url("/ops"));
}

async function sendWebhook(id: string): Promise<string> {
  const body = JSON.stringify({ id, topic: "orders/create", order: 42 });
  const res = await fetch(url("/webhooks/shop"), {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-sig": createHmac("sha256", SECRET).update(body).digest("hex"),
    },
    body,
  });
  assert.equal(res.status, 200);
  const { id: eventId } = (await res.json()) as { id: string };
  await waitUntil(
    async () => (await findInboxEvent(service.pool, eventId))?.status === "processed",
    "event processed",
  );
  return eventId;
}

test(
  "log in and read the overview; live refresh runs and pauses when the tab is hidden",
  { skip },
  async () => {
    const p = await page();
    await p.goto(url("/ops/jobs"));
    await shot(p, "login");
    await logIn(p, ADMIN);
    assert.equal(await p.locator("h1").textContent(), "Overview");
    await p.locator("#panel-health .badge-pass").first().waitFor();
    await p.locator("#chart-throughput canvas, #panel-chart-throughput canvas").first().waitFor();
    await p.selectOption("#refresh-rate", "2");
    assert.equal(await p.evaluate<boolean>("window.opskitConsole.running()"), true);
    await p.evaluate(`Object.defineProperty(document, "visibilityState", { value: "hidden", configurable: true });
      document.dispatchEvent(new Event("visibilitychange"));`);
    assert.equal(await p.evaluate<boolean>("window.opskitConsole.running()"), false);
    await p.reload();
    await shot(p, "overview");
    assert.deepEqual(
      consoleErrors.filter((e) => /Content Security Policy|Refused/.test(e)),
      [],
    );
  },
);

test("filter dead jobs, retry one, and see it run", { skip }, async () => {
  const { id } = await service.queue.add(flaky, { order: "A-1" });
  await waitUntil(async () => (await service.queue.get(id))?.state === "dead", "job dead");
  const p = await page();
  await logIn(p, ADMIN);
  await p.goto(url("/ops/jobs"));
  await p.locator(".tabs a", { hasText: "dead" }).click();
  await p.waitForURL(/state=dead/);
  const row = p.locator(`tr[data-job="${id}"]`);
  await row.waitFor();
  assert.match((await row.textContent()) ?? "", /store API answered 503/);
  await shot(p, "jobs");
  broken = false;
  await row.locator('button[data-action="jobs.retry"]').click();
  await p.locator(".flash", { hasText: `Job ${id} is ready to run again` }).waitFor();
  await waitUntil(
    async () => (await service.queue.get(id))?.state === "completed",
    "retried job completed",
  );
  await p.goto(url(`/ops/jobs/${id}`));
  await p.locator(".summary .badge-completed").waitFor();
  await shot(p, "job");
});

test("replay an inbox event; pause and resume its source", { skip }, async () => {
  const eventId = await sendWebhook("delivery-1");
  const p = await page();
  await logIn(p, ADMIN);
  await p.goto(url("/ops/inbox"));
  await p.locator(`tr[data-event="${eventId}"]`).waitFor();
  await shot(p, "inbox");
  await p.locator(`tr[data-event="${eventId}"] a`).first().click();
  await p.locator('input[name="reason"]').fill("customer asked");
  await p.locator('button[data-action="inbox.replay"]').click();
  await p.locator(".flash", { hasText: "replayed" }).waitFor();
  await waitUntil(async () => {
    const e = await findInboxEvent(service.pool, eventId);
    return e?.replays === 1 && e.status === "processed";
  }, "event replayed and processed again");
  await p.reload();
  await shot(p, "inbox-event");

  await p.goto(url("/ops/inbox"));
  const source = p.locator('tr[data-source="shop"]');
  await source.locator('input[name="reason"]').fill("store maintenance");
  await source.locator('button[data-action="inbox.pause_source"]').click();
  await p.locator('tr[data-source="shop"] .badge-paused').waitFor();
  await p.locator('tr[data-source="shop"] button[data-action="inbox.resume_source"]').click();
  await p.locator('tr[data-source="shop"] .badge-active').waitFor();
});

test("every other screen renders (screenshots for the docs)", { skip }, async () => {
  const p = await page();
  await logIn(p, ADMIN);
  for (const [screen, title] of [
    ["schedules", "Schedules"],
    ["migrations", "Migrations"],
    ["database", "Database"],
    ["audit", "Audit log"],
  ] as const) {
    await p.goto(url(`/ops/${screen}`));
    assert.equal(await p.locator("h1").textContent(), title);
    await shot(p, screen);
  }
  assert.match(
    (await p.locator("table").first().textContent()) ?? "",
    /inbox\.pause_source|console\.login/,
  );
});

test(
  "a viewer is refused an admin action; a POST without a CSRF token is refused",
  { skip },
  async () => {
    const p = await page();
    await logIn(p, VIEWER);
    await p.goto(url("/ops/jobs?state=dead"));
    assert.equal(
      await p.locator("button[data-action]").count(),
      0,
      "no action buttons for a viewer",
    );
    const asViewer = await p.evaluate<{ status: number; text: string }>(`(async () => {
      const csrf = document.querySelector('meta[name="csrf-token"]').content;
      const res = await fetch("/ops/database/backends/1/terminate", {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ _csrf: csrf, confirm: "yes" }),
      });
      return { status: res.status, text: await res.text() };
    })()`);
    assert.equal(asViewer.status, 403);
    assert.match(asViewer.text, /Your role \(viewer\) may not do db\.terminate_backend/);

    await logIn(p, ADMIN);
    const noToken = await p.evaluate<number>(`(async () => {
      const res = await fetch("/ops/queues/default/pause", {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: "",
      });
      return res.status;
    })()`);
    assert.equal(noToken, 403);
    const { rows } = await service.pool.query<{ result: string }>(
      "select result from opskit.audit_log where action in ('db.terminate_backend', 'queues.pause') order by id",
    );
    assert.deepEqual(
      rows.map((r) => r.result),
      ["denied: role viewer", "denied: missing or wrong CSRF token"],
    );
  },
);
