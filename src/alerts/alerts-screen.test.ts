import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { consoleClient, mountAt } from "../../test/console.js";
import { createTestDatabase, type TestDatabase } from "../../test/db.js";
import { createConsole, type Console } from "../console/index.js";
import { createPool, type Pool } from "../db/index.js";
import { createLogger } from "../log/index.js";
import { sqlRule } from "./alert-rule.js";
import { startAlertEvaluator, type AlertEvaluator } from "./alert-evaluator.js";
import { createAlertsAdmin } from "./alerts-admin.js";
import { alertsScreenPart } from "./alerts-part.js";
import { alertsScreen } from "./alerts-screen.js";
import { API_ROLES } from "../service-part.js";

/*
 * The alerts screen in a console of its own, over state the evaluator
 * itself wrote: a rule over a table, one series still holding (firing) and
 * one gone (resolved), and a receiver whose notifications stay queued.
 */

const ADMIN = "a".repeat(32);
const OPERATOR = "b".repeat(32);
const VIEWER = "c".repeat(32);

const stuck = sqlRule({
  name: "OrdersStuck",
  severity: "warning",
  summary: "{{ $value }} orders stuck in {{ $labels.stage }}",
  description: "Orders have not moved.",
  sql: "select stage, count(*)::float8 as value from test_orders group by stage",
});

let db: TestDatabase;
let pool: Pool;
let evaluator: AlertEvaluator;
let opsConsole: Console<string>;

before(async () => {
  db = await createTestDatabase();
  pool = createPool({ connectionString: db.url });
  await pool.query("create table test_orders (stage text not null)");
  await pool.query("insert into test_orders values ('pack'), ('pack'), ('ship')");
  evaluator = startAlertEvaluator({
    pool,
    databaseUrl: db.url,
    rules: [stuck],
    notifiers: [{ name: "test-hook", send: async () => undefined }],
    intervalMs: 3_600_000,
    timing: { groupWaitMs: 0, groupIntervalMs: 0, repeatIntervalMs: 3_600_000 },
    enqueue: async () => undefined, // no worker: the notifications stay queued
    log: createLogger({ level: "silent" }),
  });
  await evaluator.runNow(); // pack and ship fire
  await pool.query("delete from test_orders where stage = 'ship'");
  await evaluator.runNow(); // ship resolves
  opsConsole = createConsole({
    pool,
    development: false,
    credentials: { adminTokens: [ADMIN], operatorTokens: [OPERATOR], viewerTokens: [VIEWER] },
    sampleIntervalMs: 0,
    screens: [alertsScreen],
  });
});
after(async () => {
  await opsConsole.close();
  await evaluator.stop();
  await pool.end();
  await db.drop();
});

const alerts = () => createAlertsAdmin(pool);
const audit = async (action: string) =>
  (
    await pool.query<{ actor: string; result: string; target: string | null; params: unknown }>(
      "select actor, result, target, params from opskit.audit_log where action = $1 order by id",
      [action],
    )
  ).rows;

async function login(token: string) {
  const client = consoleClient(mountAt(opsConsole));
  assert.equal((await client.loginWithToken(token)).status, 303);
  return client;
}

const firingRow = (page: string, id: string) =>
  new RegExp(`<tr data-alert="${id}">([\\s\\S]*?)</tr>`).exec(page)?.[1] ?? "";

test("the screen is in the navigation after the inbox and shows the firing alert, the resolved one and the notifications", async () => {
  const [firing] = await alerts().list({ state: "firing" });
  assert.equal(firing?.labels.stage, "pack");
  const viewer = await login(VIEWER);
  const page = await viewer.get("/ops/alerts");
  assert.equal(page.status, 200);
  assert.match(page.text, /<h1>Alerts<\/h1>/);
  const nav = /<nav>([\s\S]*?)<\/nav>/.exec(page.text)?.[1] ?? "";
  assert.match(
    nav,
    /Inbox<\/a>\s*<a href="\/ops\/alerts" class="[^"]*">Alerts<\/a>\s*<a href="\/ops\/migrations"/,
  );
  const row = firingRow(page.text, firing.id);
  assert.match(row, /OrdersStuck/);
  assert.match(row, /badge-firing/);
  assert.match(row, /stage=pack/);
  assert.match(row, /<td>2<\/td>/, "the value");
  assert.doesNotMatch(row, /silenced/);
  assert.doesNotMatch(page.text, /data-action="alerts\.silence"/, "no silence form for a viewer");
  // History: the resolved series and the receiver's notifications with their delivery.
  const [resolved] = await alerts().list({ state: "resolved" });
  assert.equal(resolved?.labels.stage, "ship");
  assert.match(page.text, new RegExp(`/ops/alerts/${resolved.id}">OrdersStuck`));
  const notifications = await alerts().notifications();
  assert.ok(notifications.length >= 2, "a firing and a resolved message");
  for (const n of notifications)
    assert.match(
      page.text,
      new RegExp(`data-notification="${n.id}">[\\s\\S]*?test-hook[\\s\\S]*?badge-queued`),
    );
  // One alert's page: its notifications.
  const detail = await viewer.get(`/ops/alerts/${firing.id}`);
  assert.equal(detail.status, 200);
  assert.match(detail.text, /stage=pack/);
  assert.match(detail.text, /test-hook/);
  // Every live panel is served alone (what the refresh fetches).
  for (const m of page.text.matchAll(/hx-get="(\/ops\/panels\/alerts-[^"]+)"/g))
    assert.equal((await viewer.get(m[1]!)).status, 200, m[1]);
});

test("a viewer cannot silence: 403, audited, nothing written", async () => {
  const [firing] = await alerts().list({ state: "firing" });
  const viewer = await login(VIEWER);
  await viewer.get("/ops/alerts");
  const refused = await viewer.post("/ops/alerts/silence", {
    alert: firing!.id,
    match: "labels",
    duration: "2h",
    reason: "by a viewer",
  });
  assert.equal(refused.status, 403);
  assert.deepEqual(await alerts().silences(), []);
  assert.equal((await audit("alerts.silence")).at(-1)?.result, "denied: role viewer");
});

test("a silence without a reason (or with a bad duration) is refused: a flash, no silence, the refusal audited", async () => {
  const [firing] = await alerts().list({ state: "firing" });
  const operator = await login(OPERATOR);
  await operator.get("/ops/alerts");
  const noReason = await operator.post("/ops/alerts/silence", {
    alert: firing!.id,
    match: "labels",
    duration: "2h",
    reason: "   ",
    return_to: "/ops/alerts",
  });
  assert.equal(noReason.status, 303);
  assert.deepEqual(await alerts().silences(), []);
  assert.equal((await audit("alerts.silence")).at(-1)?.result, "error: BAD_REQUEST");
  assert.match(
    (await operator.get("/ops/alerts")).text,
    /alerts\.silence failed: A silence needs a reason/,
  );

  const badDuration = await operator.post("/ops/alerts/silence", {
    rule: "OrdersStuck",
    duration: "forever",
    reason: "deploy",
  });
  assert.equal(badDuration.status, 303);
  assert.deepEqual(await alerts().silences(), []);
  assert.match((await operator.get("/ops/alerts")).text, /is not one from 1m to 30d/);
});

test("an operator silences an alert by its labels with a reason, sees it silenced, then unsilences it", async () => {
  const [firing] = await alerts().list({ state: "firing" });
  const operator = await login(OPERATOR);
  const before = await operator.get("/ops/alerts");
  assert.match(firingRow(before.text, firing!.id), /data-action="alerts\.silence"/);
  const started = Date.now();
  const silenced = await operator.post("/ops/alerts/silence", {
    alert: firing!.id,
    match: "labels",
    duration: "2h",
    reason: "packing line rebuilt",
    return_to: "/ops/alerts",
  });
  assert.equal(silenced.status, 303);
  assert.equal(silenced.headers.get("location"), "/ops/alerts");
  const [silence, ...others] = await alerts().silences();
  assert.equal(others.length, 0);
  assert.deepEqual(silence!.matchers, { ...firing!.labels });
  assert.equal(silence!.matchers.stage, "pack");
  assert.equal(silence!.comment, "packing line rebuilt");
  assert.match(silence!.created_by, /^operator-token:/);
  const untilMs = new Date(silence!.ends_at).getTime() - started;
  assert.ok(untilMs > 7_100_000 && untilMs <= 7_210_000, `ends in 2 h (${untilMs} ms)`);
  const row = (await audit("alerts.silence")).at(-1);
  assert.equal(row?.result, "silenced");
  assert.equal(row?.target, `silence ${silence!.id}`);
  assert.equal(row?.actor, silence!.created_by);

  const page = await operator.get("/ops/alerts");
  assert.match(page.text, /Silenced [^<]*stage=pack[^<]* for 2h/, "the flash");
  assert.match(firingRow(page.text, firing!.id), /badge-silenced[\s\S]*by silence/);
  const active =
    new RegExp(`<tr data-silence="${silence!.id}">([\\s\\S]*?)</tr>`).exec(page.text)?.[1] ?? "";
  assert.match(active, /stage=pack/);
  assert.match(active, /packing line rebuilt/);
  assert.match(active, /data-action="alerts\.unsilence"/);

  // A viewer sees the silence, not its button, and may not end it.
  const viewer = await login(VIEWER);
  assert.doesNotMatch((await viewer.get("/ops/alerts")).text, /data-action="alerts\.unsilence"/);
  await viewer.get("/ops/alerts");
  const refused = await viewer.post(`/ops/alerts/silences/${silence!.id}/unsilence`);
  assert.equal(refused.status, 403);
  assert.equal((await audit("alerts.unsilence")).at(-1)?.result, "denied: role viewer");

  const ended = await operator.post(`/ops/alerts/silences/${silence!.id}/unsilence`, {
    return_to: "/ops/alerts",
  });
  assert.equal(ended.status, 303);
  const [after] = await alerts().silences();
  assert.ok(after!.expired_at);
  assert.equal(after!.expired_by, silence!.created_by);
  assert.equal((await audit("alerts.unsilence")).at(-1)?.result, "unsilenced");
  const again = await operator.get("/ops/alerts");
  assert.match(again.text, new RegExp(`Silence ${silence!.id} ended`));
  assert.doesNotMatch(firingRow(again.text, firing!.id), /silenced/);
  assert.match(again.text, /No silence is active\./);

  // Twice: nothing to end, said so and audited.
  await operator.post(`/ops/alerts/silences/${silence!.id}/unsilence`);
  assert.equal((await audit("alerts.unsilence")).at(-1)?.result, "not_active");
});

test("an admin silences every alert of a rule by name, from the silences panel", async () => {
  const admin = await login(ADMIN);
  await admin.get("/ops/alerts");
  const res = await admin.post("/ops/alerts/silence", {
    rule: "OrdersStuck",
    duration: "30m",
    reason: "maintenance",
  });
  assert.equal(res.status, 303);
  const [silence] = await alerts().silences();
  assert.deepEqual(silence!.matchers, { alertname: "OrdersStuck" });
  assert.equal(silence!.expired_at, null);
  const [firing] = await alerts().listOpen();
  assert.deepEqual(firing!.silenced_by, [silence!.id]);
  await createAlertsAdmin(pool).unsilence(silence!.id, "test");
});

test("the screen comes with alertsScreenPart, in the roles the console runs in", async () => {
  const part = alertsScreenPart();
  assert.deepEqual(part.roles, API_ROLES);
  const declared = await part.declare?.({} as never);
  assert.deepEqual(declared, { screens: [alertsScreen] });
});
