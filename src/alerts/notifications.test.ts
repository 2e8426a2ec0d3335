import assert from "node:assert/strict";
import { test } from "node:test";
import { Webhook } from "standardwebhooks";
import { waitUntil, withPool } from "../../test/jobs.js";
import { startReceiver, type Receiver } from "../../test/receivers.js";
import type { Pool } from "../db/index.js";
import { createQueue } from "../jobs/index.js";
import { createLogger } from "../log/index.js";
import { sqlRule } from "./alert-rule.js";
import { startAlertEvaluator, type AlertEvaluator } from "./alert-evaluator.js";
import { createAlertsAdmin } from "./alerts-admin.js";
import { builtinRules } from "./builtin-rules.js";
import type { AlertMessage, Notifier } from "./notifier.js";
import { notificationTask } from "./notification-task.js";
import { pagerDutyNotifier } from "./notifiers/pagerduty.js";
import { slackNotifier } from "./notifiers/slack.js";
import { webhookNotifier } from "./notifiers/webhook.js";

const SECRET = `whsec_${Buffer.from("a test secret of 32 bytes length").toString("base64")}`;
const silent = createLogger({ level: "silent" });

const conditionRule = sqlRule({
  name: "OrdersStuck",
  severity: "critical",
  summary: "{{ $value }} orders stuck",
  description: "Orders have not moved.",
  runbookUrl: "docs/runbooks/orders.md",
  sql: "select count(*)::float8 as value from test_condition where on_",
});

/** An evaluator whose rounds the test runs itself (runNow), and a worker that delivers. */
async function withAlerting(
  pool: Pool,
  url: string,
  notifiers: Notifier[],
  fn: (evaluator: AlertEvaluator) => Promise<void>,
  rules = [conditionRule],
): Promise<void> {
  await pool.query("create table if not exists test_condition (on_ boolean not null)");
  const task = notificationTask(
    () => pool,
    () => notifiers,
    { baseMs: 50, maxMs: 200 },
  );
  const queue = createQueue({ pool, tasks: [task] });
  const worker = queue.work({ pollIntervalMs: 50, concurrency: 4 });
  const evaluator = startAlertEvaluator({
    pool,
    databaseUrl: url,
    rules,
    notifiers,
    intervalMs: 3_600_000,
    timing: { groupWaitMs: 0, groupIntervalMs: 0, repeatIntervalMs: 3_600_000 },
    enqueue: async (tx, id, fifoKey) => {
      await queue.add(task, { id }, { tx, dedupeKey: `alerts:notification:${id}`, fifoKey });
    },
    log: silent,
    externalUrl: "http://ops.test/ops",
  });
  try {
    await evaluator.runNow();
    await fn(evaluator);
  } finally {
    await evaluator.stop();
    await worker.stop();
  }
}

const statuses = (r: Receiver) => r.accepted().map((x) => (x.json as AlertMessage).status);

test("a firing and then a resolved message reach Slack, PagerDuty and the signed webhook, once each", async () => {
  const [slack, pd, hook] = await Promise.all([
    startReceiver(),
    startReceiver(202),
    startReceiver(),
  ]);
  try {
    await withPool(async (pool, db) => {
      const notifiers = [
        slackNotifier({ url: slack.url }),
        pagerDutyNotifier({ routingKey: "r".repeat(32), url: `${pd.url}/v2/enqueue` }),
        webhookNotifier({ url: hook.url, secret: SECRET }),
      ];
      await withAlerting(pool, db.url, notifiers, async (evaluator) => {
        await pool.query("insert into test_condition values (true)");
        await evaluator.runNow();
        await waitUntil(
          () => slack.requests.length + pd.requests.length + hook.requests.length === 3,
          "three firing messages",
        );
        await pool.query("delete from test_condition");
        await evaluator.runNow();
        await waitUntil(
          () => slack.requests.length + pd.requests.length + hook.requests.length === 6,
          "three resolved messages",
        );
        // A few more rounds change nothing.
        await evaluator.runNow();
        await evaluator.runNow();
        await waitUntil(
          async () =>
            (await createAlertsAdmin(pool).notifications()).every((n) => n.delivery === "sent"),
          "every notification sent",
        );
      });
    });
    assert.deepEqual(statuses(hook), ["firing", "resolved"]);
    const [firing, resolved] = hook.requests;
    // The webhook carries Alertmanager's payload and verifies with the Standard Webhooks library.
    const wh = new Webhook(SECRET);
    for (const r of [firing!, resolved!]) {
      wh.verify(r.body, r.headers as Record<string, string>);
    }
    const message = firing!.json as AlertMessage;
    assert.equal(message.version, "4");
    assert.equal(message.groupKey, '{}:{alertname="OrdersStuck"}');
    assert.equal(message.alerts[0]!.annotations.summary, "1 orders stuck");
    assert.equal(message.alerts[0]!.endsAt, "0001-01-01T00:00:00Z");
    assert.notEqual((resolved!.json as AlertMessage).alerts[0]!.endsAt, "0001-01-01T00:00:00Z");

    const [trigger, resolve] = pd.requests.map((r) => r.json as Record<string, unknown>);
    assert.equal(trigger!.event_action, "trigger");
    assert.equal(resolve!.event_action, "resolve");
    assert.equal(trigger!.dedup_key, resolve!.dedup_key, "one PagerDuty alert per group");
    assert.equal((trigger!.payload as { severity: string }).severity, "critical");

    assert.equal(slack.requests.length, 2);
    const blocks = (slack.requests[0]!.json as { blocks: { type: string }[] }).blocks;
    assert.ok(blocks.length <= 50);
    assert.equal(blocks[0]!.type, "header");
  } finally {
    await Promise.all([slack.close(), pd.close(), hook.close()]);
  }
});

test("a receiver that is down gets the firing and the resolved message later, in order, once", async () => {
  const hook = await startReceiver(503);
  try {
    await withPool(async (pool, db) => {
      const admin = createAlertsAdmin(pool);
      await withAlerting(pool, db.url, [webhookNotifier({ url: hook.url })], async (evaluator) => {
        await pool.query("insert into test_condition values (true)");
        await evaluator.runNow();
        await waitUntil(() => hook.requests.length >= 2, "two refused attempts");
        await pool.query("delete from test_condition");
        await evaluator.runNow();
        await waitUntil(
          async () => (await admin.notifications()).length === 2,
          "the resolved message is queued",
        );
        hook.status = 200;
        await waitUntil(
          async () => (await admin.notifications()).every((n) => n.delivery === "sent"),
          "both delivered",
        );
        await evaluator.runNow();
      });
    });
    assert.deepEqual(statuses(hook), ["firing", "resolved"], "in order, each once");
    const ids = hook.requests
      .filter((r) => (r.json as AlertMessage).status === "firing")
      .map((r) => r.headers["webhook-id"]);
    assert.equal(new Set(ids).size, 1, "retries carry the same webhook-id");
  } finally {
    await hook.close();
  }
});

test("a silence holds: a silenced alert is not notified until the silence is lifted", async () => {
  const hook = await startReceiver();
  try {
    await withPool(async (pool, db) => {
      const admin = createAlertsAdmin(pool);
      await withAlerting(pool, db.url, [webhookNotifier({ url: hook.url })], async (evaluator) => {
        const silence = await admin.silence({
          matchers: { alertname: "OrdersStuck" },
          endsAt: new Date(Date.now() + 3_600_000),
          createdBy: "ada",
          comment: "known: the oven is being replaced",
        });
        await pool.query("insert into test_condition values (true)");
        for (let i = 0; i < 3; i++) await evaluator.runNow();
        assert.equal((await admin.list({ state: "firing" })).length, 1, "the alert fires");
        assert.equal((await admin.notifications()).length, 0, "but nothing is notified");
        assert.ok(await admin.unsilence(silence.id, "ada"));
        await evaluator.runNow();
        await waitUntil(() => hook.accepted().length === 1, "notified once the silence is lifted");
      });
    });
    assert.deepEqual(statuses(hook), ["firing"]);
  } finally {
    await hook.close();
  }
});

test("the Watchdog reaches the webhook (an external dead-man's switch) and not Slack", async () => {
  const [slack, hook] = await Promise.all([startReceiver(), startReceiver()]);
  try {
    await withPool(async (pool, db) => {
      const only = Object.fromEntries(
        builtinRules()
          .filter((r) => r.name !== "Watchdog")
          .map((r) => [r.name, false as const]),
      );
      await withAlerting(
        pool,
        db.url,
        [slackNotifier({ url: slack.url }), webhookNotifier({ url: hook.url, secret: SECRET })],
        async (evaluator) => {
          await evaluator.runNow();
          await waitUntil(() => hook.accepted().length === 1, "the Watchdog arrived");
        },
        builtinRules({ overrides: only }),
      );
    });
    const message = hook.requests[0]!.json as AlertMessage;
    assert.equal(message.alerts[0]!.labels.alertname, "Watchdog");
    assert.equal(message.alerts[0]!.labels.severity, "none");
    assert.equal(slack.requests.length, 0);
  } finally {
    await Promise.all([slack.close(), hook.close()]);
  }
});
