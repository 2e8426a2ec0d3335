import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { consoleClient, mountAt, type ConsoleClient } from "../../test/console.js";
import { createTestDatabase, type TestDatabase } from "../../test/db.js";
import { createPool, type Pool } from "../db/index.js";
import { createConsole, type Console } from "./index.js";

/* Input the database cannot take answers 400 with a message, never a 500. */

const ADMIN = "a".repeat(32);
const BEYOND_BIGINT = "9999999999999999999";

let db: TestDatabase;
let pool: Pool;
let opsConsole: Console;
let browser: ConsoleClient;

before(async () => {
  db = await createTestDatabase();
  pool = createPool({ connectionString: db.url });
  opsConsole = createConsole({
    pool,
    development: false,
    credentials: { adminTokens: [ADMIN] },
    sampleIntervalMs: 0,
  });
  browser = consoleClient(mountAt(opsConsole));
  await browser.loginWithToken(ADMIN);
});
after(async () => {
  await opsConsole.close();
  await pool.end();
  await db.drop();
});

async function expect400(path: string, message: RegExp): Promise<void> {
  const res = await browser.get(path);
  assert.equal(res.status, 400, `${path}: ${res.status}`);
  assert.match(res.text, message, path);
}

test("a NUL byte in a query filter answers 400", async () => {
  for (const path of [
    "/ops/jobs?queue=a%00b",
    "/ops/panels/jobs?task=%00",
    "/ops/jobs/bulk/retry?payload=%00",
    "/ops/inbox?topic=%00",
    "/ops/panels/inbox-events?dedupe_key=%00",
    "/ops/inbox/replay?source=%00",
    "/ops/audit?actor=%00",
  ])
    await expect400(path, /NUL/);
});

test("a date a filter cannot hold answers 400 and says which field", async () => {
  for (const path of [
    "/ops/jobs?since=-010000-01-01T00:00",
    "/ops/jobs?until=99999-01-01",
    "/ops/jobs?since=not-a-date",
    "/ops/jobs?within=100000000000000000000",
    "/ops/jobs?within=-5",
    "/ops/panels/jobs?until=0000-01-01T00:00",
    "/ops/inbox?since=-010000-01-01T00:00",
    "/ops/inbox/replay?until=99999-01-01",
    "/ops/jobs/bulk/delete?since=-010000-01-01T00:00",
  ])
    await expect400(path, /since|until|within/);
});

test("an id beyond the bigint range answers 400", async () => {
  for (const path of [
    `/ops/jobs/${BEYOND_BIGINT}`,
    `/ops/jobs?before=${BEYOND_BIGINT}`,
    `/ops/panels/jobs?before=${BEYOND_BIGINT}`,
    `/ops/audit?before=${BEYOND_BIGINT}`,
  ])
    await expect400(path, /id/);
  for (const op of ["retry", "cancel", "delete"]) {
    const res = await browser.post(`/ops/jobs/${BEYOND_BIGINT}/${op}`);
    assert.equal(res.status, 400, `${op}: ${res.status}`);
    assert.match(res.text, /id/);
  }
});

test("a return_to with CR, LF or non-ASCII text falls back to the console", async () => {
  for (const back of ["/ops\r\nx-injected: 1", "/ops/jobs\n", "/ops/\u20ac", "/ops/\u00e9"]) {
    const res = await browser.post("/ops/queues/fallback/resume", { return_to: back });
    assert.equal(res.status, 303, JSON.stringify(back));
    assert.equal(res.headers.get("location"), "/ops", JSON.stringify(back));
    assert.equal(res.headers.get("x-injected"), null);
  }
  const page = await consoleClient(mountAt(opsConsole)).get("/ops/login?next=%2Fops%0D%0Ax%3A1");
  assert.equal(page.status, 200);
  assert.doesNotMatch(page.text, /name="next" value="\/ops\r/);
});

test("a lone surrogate reaches no handler as such: it is answered below 500", async () => {
  const form = { reason: "\ud800 alone", note: "\udfff" };
  const res = await browser.post("/ops/inbox/sources/nope/pause", form);
  assert.ok(res.status < 500, String(res.status));
  const page = await browser.get(`/ops/jobs?queue=${encodeURIComponent("\ud83d\ude00")}`);
  assert.equal(page.status, 200);
});
