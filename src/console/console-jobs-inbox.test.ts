import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { after, before, test } from "node:test";
import { createTestDatabase, type TestDatabase } from "../../test/db.js";
import { consoleClient, mountAt, type ConsoleClient } from "../../test/console.js";
import { count, waitUntil } from "../../test/jobs.js";
import { createPool, type Pool } from "../db/index.js";
import { createInbox, findInboxEvent, hmacVerifier, type Inbox } from "../inbox/index.js";
import {
  createJobsAdmin,
  createQueue,
  defineTask,
  type Queue,
  type Worker,
} from "../jobs/index.js";
import { createConsole, type Console } from "./index.js";

const ADMIN = "a".repeat(32);
const VIEWER = "c".repeat(32);
const SECRET = "inbox-signing-secret";

let db: TestDatabase;
let pool: Pool;
let queue: Queue;
let worker: Worker;
let inbox: Inbox;
let opsConsole: Console;
let broken = true;

const mail = defineTask<{ to: string }>("mail", async () => undefined, { queue: "mail" });
const report = defineTask<{ month: string }>("report", async () => undefined, { queue: "slow" });
const flaky = defineTask<{ n: number }>(
  "flaky",
  async () => {
    if (broken) throw new Error("upstream said no");
  },
  { maxAttempts: 1 },
);

before(async () => {
  db = await createTestDatabase();
  pool = createPool({ connectionString: db.url, max: 20 });
  inbox = createInbox({
    pool,
    sources: [
      {
        name: "shop",
        verifier: hmacVerifier({
          secrets: [SECRET],
          header: "x-sig",
          dedupeKey: { json: "id" },
          topic: { json: "type" },
        }),
        handler: async () => undefined,
      },
    ],
  });
  await inbox.register();
  queue = createQueue({ pool, tasks: [mail, report, flaky, ...inbox.tasks] });
  worker = queue.work({ concurrency: 4, pollIntervalMs: 20 });
  opsConsole = createConsole({
    pool,
    development: false,
    credentials: { adminTokens: [ADMIN], viewerTokens: [VIEWER] },
    bulkCap: 3,
    sampleIntervalMs: 0,
    inboxSecretIds: new Map([...inbox.sources].map(([n, s]) => [n, s.verifier.secretIds ?? []])),
    secrets: [SECRET],
  });
});
after(async () => {
  await worker.stop();
  await inbox.close();
  await opsConsole.close();
  await pool.end();
  await db.drop();
});

async function login(token = ADMIN): Promise<ConsoleClient> {
  const browser = consoleClient(mountAt(opsConsole));
  assert.equal((await browser.loginWithToken(token)).status, 303);
  return browser;
}

async function state(id: string): Promise<string | undefined> {
  const job = await queue.get(id);
  return job?.state as string | undefined;
}

async function deadJob(n: number): Promise<string> {
  const { id } = await queue.add(flaky, { n });
  await waitUntil(async () => (await state(id)) === "dead", `job ${id} dead`);
  return id;
}

test("jobs: filter by state, queue, task and payload text; detail with attempts and errors", async () => {
  const ada = await queue.add(mail, { to: "ada@example.com" });
  await queue.add(mail, { to: "bob@example.com" });
  const later = await queue.add(report, { month: "2026-10" }, { delayMs: 3_600_000 });
  const dead = await deadJob(1);
  const browser = await login();
  const deadList = (await browser.get("/ops/jobs?state=dead")).text;
  assert.match(deadList, new RegExp(`data-job="${dead}"`));
  assert.doesNotMatch(deadList, new RegExp(`data-job="${later.id}"`));
  const byPayload = (await browser.get("/ops/jobs?payload=ADA%40example")).text;
  assert.match(byPayload, new RegExp(`data-job="${ada.id}"`));
  assert.doesNotMatch(byPayload, /bob@example/);
  const scheduled = (await browser.get("/ops/jobs?queue=slow&task=report&state=scheduled")).text;
  assert.match(scheduled, new RegExp(`data-job="${later.id}"`));
  const withinHour = (await browser.get("/ops/jobs?state=dead&within=3600")).text;
  assert.match(withinHour, new RegExp(`data-job="${dead}"`));
  const detail = (await browser.get(`/ops/jobs/${dead}`)).text;
  assert.match(detail, /upstream said no/);
  assert.match(detail, /1 of 1/);
  assert.match(
    (await browser.get("/ops/jobs")).text,
    /<td><a href="\/ops\/jobs\?queue=slow">slow<\/a><\/td>/,
  );
});

test("jobs: retry a dead job and it runs; cancel a scheduled one; delete; pause and resume a queue", async () => {
  const dead = await deadJob(2);
  const browser = await login();
  await browser.get("/ops/jobs?state=dead");
  broken = false;
  assert.equal((await browser.post(`/ops/jobs/${dead}/retry`)).status, 303);
  await waitUntil(async () => (await state(dead)) === "completed", "the retried job completed");
  assert.match((await browser.get(`/ops/jobs/${dead}`)).text, /badge-completed/);
  broken = true;

  const later = await queue.add(report, { month: "2026-11" }, { delayMs: 3_600_000 });
  await browser.post(`/ops/jobs/${later.id}/cancel`);
  assert.equal(await state(later.id), "cancelled");
  await browser.post(`/ops/jobs/${later.id}/delete`);
  assert.equal(await state(later.id), undefined);

  await browser.post("/ops/queues/mail/pause");
  assert.match((await browser.get("/ops/panels/queues")).text, /badge-paused/);
  await browser.post("/ops/queues/mail/resume");
  assert.doesNotMatch((await browser.get("/ops/panels/queues")).text, /badge-paused/);
  const { rows } = await pool.query<{ action: string; result: string }>(
    "select action, result from opskit.audit_log where action like 'jobs.%' or action like 'queues.%' order by id",
  );
  for (const expected of [
    ["jobs.retry", "retried"],
    ["jobs.cancel", "cancelled"],
    ["jobs.delete", "deleted"],
    ["queues.pause", "paused"],
    ["queues.resume", "resumed"],
  ])
    assert.ok(
      rows.some((r) => r.action === expected[0] && r.result === expected[1]),
      expected.join(" "),
    );
});

test("bulk retry: a preview count capped, at most the cap done, and a resubmitted form does nothing again", async () => {
  broken = true;
  await pool.query("delete from opskit.dead_jobs");
  for (let i = 0; i < 5; i++) await deadJob(100 + i);
  const browser = await login();
  const preview = (await browser.get("/ops/jobs/bulk/retry?task=flaky")).text;
  assert.match(preview, /data-preview-count="3"/);
  assert.match(preview, /3\+ job\(s\) match/);
  const key = /name="request_key" value="([^"]+)"/.exec(preview)![1]!;
  const form = { task: "flaky", request_key: key };
  broken = false;
  assert.equal((await browser.post("/ops/jobs/bulk/retry", form)).status, 303);
  assert.equal(await count(pool, "select 1 from opskit.dead_jobs"), 2);
  assert.equal((await browser.post("/ops/jobs/bulk/retry", form)).status, 303);
  assert.match((await browser.get("/ops/jobs")).text, /Already submitted/);
  assert.equal(
    await count(pool, "select 1 from opskit.dead_jobs"),
    2,
    "the resubmission retried nothing",
  );
  const { rows } = await pool.query<{ result: string; request_key: string | null }>(
    "select result, request_key from opskit.audit_log where action = 'jobs.bulk_retry' order by id",
  );
  assert.equal(rows.at(-2)!.result, "3 retried");
  assert.equal(rows.at(-2)!.request_key, key);
  assert.match(rows.at(-1)!.result, /^duplicate of audit #\d+/);
  // A viewer sees no bulk link and is refused the POST.
  const viewer = await login(VIEWER);
  assert.doesNotMatch((await viewer.get("/ops/jobs?state=dead")).text, /data-bulk=/);
  const refused = await viewer.post("/ops/jobs/bulk/delete", {
    state: "dead",
    request_key: crypto.randomUUID(),
  });
  assert.equal(refused.status, 403);
  assert.equal(await count(pool, "select 1 from opskit.dead_jobs"), 2);
});

let delivery = 0;
async function send(type = "orders/create"): Promise<string> {
  const body = JSON.stringify({ id: `d${++delivery}`, type, secret_echo: SECRET });
  const res = await inbox.receive({
    source: "shop",
    headers: [
      ["x-sig", createHmac("sha256", SECRET).update(body).digest("hex")],
      ["content-type", "application/json"],
    ],
    body: Buffer.from(body),
    requestId: "t",
  });
  assert.equal(res.status, 200);
  const id = res.body.id as string;
  await waitUntil(
    async () => (await findInboxEvent(pool, id))?.status === "processed",
    "processed",
  );
  return id;
}

test("inbox: sources with masked secret ids, events by filter, detail with masked headers; replay one; pause and resume", async () => {
  const id = await send();
  const browser = await login();
  const page = (await browser.get("/ops/inbox?source=shop&status=processed")).text;
  assert.match(page, /sha256:[0-9a-f]{8}/);
  assert.match(page, new RegExp(`data-event="${id}"`));
  const exact = (await browser.get(`/ops/inbox?dedupe_key=d${delivery}`)).text;
  assert.equal([...exact.matchAll(/data-event="/g)].length, 1);
  const detail = (await browser.get(`/ops/inbox/events/${id}`)).text;
  assert.match(detail, /x-sig<\/code><\/td>\s*<td><code class="sql">\[masked\]/);
  assert.match(detail, /orders\/create/);
  assert.doesNotMatch(detail, new RegExp(SECRET), "no secret value, even one echoed in a body");

  await browser.post(`/ops/inbox/events/${id}/replay`, { reason: "customer asked" });
  await waitUntil(async () => (await findInboxEvent(pool, id))?.replays === 1, "replayed");
  await waitUntil(
    async () => (await findInboxEvent(pool, id))?.status === "processed",
    "processed again",
  );

  await browser.post("/ops/inbox/sources/shop/pause", { reason: "supplier outage" });
  assert.match(
    (await browser.get("/ops/panels/inbox-sources")).text,
    /badge-paused[\s\S]*supplier outage/,
  );
  await browser.post("/ops/inbox/sources/shop/resume");
  assert.doesNotMatch((await browser.get("/ops/panels/inbox-sources")).text, /badge-paused/);
});

test("inbox: replay by filter shows a dry-run count, refuses over the cap, and runs once per form", async () => {
  const a = await send("refunds/create");
  const b = await send("refunds/create");
  const browser = await login();
  const preview = (await browser.get("/ops/inbox/replay?topic=refunds%2Fcreate")).text;
  assert.match(preview, /data-preview-count="2"/);
  const key = /name="request_key" value="([^"]+)"/.exec(preview)![1]!;
  const until = /name="until" value="([^"]+)"/.exec(preview)![1]!;
  const form = { topic: "refunds/create", until, request_key: key, reason: "handler fixed" };
  await browser.post("/ops/inbox/replay", form);
  for (const id of [a, b])
    await waitUntil(async () => (await findInboxEvent(pool, id))?.replays === 1, `${id} replayed`);
  await browser.post("/ops/inbox/replay", form);
  assert.equal((await findInboxEvent(pool, a))?.replays, 1, "a resubmitted form replays nothing");
  for (let i = 0; i < 2; i++) await send("refunds/create");
  const over = (await browser.get("/ops/inbox/replay?topic=refunds%2Fcreate")).text;
  assert.match(over, /more than the cap of 3/);
  assert.doesNotMatch(over, /name="request_key"/);
});

test("schedules and the overview: late schedule, queues, inbox, charts; the backlog sampler writes one row per slot", async () => {
  await pool.query(
    `insert into opskit.job_schedules (name, cron, timezone, task, missed, grace_ms, created_at)
     values ('nightly-report', '*/5 * * * *', 'UTC', 'report', 'skip', 1000, now() - interval '1 day')`,
  );
  const browser = await login();
  const schedules = (await browser.get("/ops/schedules")).text;
  assert.match(schedules, /nightly-report[\s\S]*badge-late/);
  const overview = (await browser.get("/ops")).text;
  assert.match(overview, /Late schedules[\s\S]*nightly-report/);
  assert.match(overview, /id="panel-overview-jobs"/);
  assert.match(overview, /id="panel-overview-inbox"[\s\S]*received/);
  const written = await createJobsAdmin(pool).sampleBacklog();
  const again = await createJobsAdmin(pool).sampleBacklog();
  assert.equal(written && again, false, "one slot is written once");
  assert.ok((await count(pool, "select 1 from opskit.job_backlog_samples")) >= 1);
  const backlog = JSON.parse((await browser.get("/ops/charts/backlog")).text) as {
    data: number[][];
  };
  assert.ok(backlog.data[0]!.length >= 1);
  const throughput = JSON.parse((await browser.get("/ops/charts/throughput")).text) as {
    series: string[];
    data: number[][];
  };
  assert.deepEqual(throughput.series, ["completed/s", "failed/s"]);
  assert.equal(throughput.data[0]!.length, 60);
  assert.ok(
    throughput.data[1]!.some((v) => v > 0),
    "completed jobs show",
  );
});
