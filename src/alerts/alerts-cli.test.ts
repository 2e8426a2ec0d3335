import assert from "node:assert/strict";
import { test } from "node:test";
import { captureOutput } from "../../test/helpers.js";
import { withPool } from "../../test/jobs.js";
import { startReceiver } from "../../test/receivers.js";
import { runCli } from "../cli/index.js";
import { createAlertsAdmin } from "./alerts-admin.js";

test("opskit alerts silence, list, show and unsilence: --json output and exit codes", async () => {
  await withPool(async (pool, db) => {
    const url = ["--database-url", db.url];
    const usage = captureOutput();
    assert.equal(
      await runCli(["alerts", "silence", "alertname=JobsStuck", "--for", "2h", ...url], usage.io),
      2,
      "a reason is required",
    );

    const made = captureOutput();
    assert.equal(
      await runCli(
        [
          "alerts",
          "silence",
          "alertname=JobsStuck",
          "queue=mail",
          "--for",
          "2h",
          "--reason",
          "deploy",
          "--by",
          "ada",
          "--json",
          ...url,
        ],
        made.io,
      ),
      0,
    );
    const silence = (
      JSON.parse(made.out[0]!) as { silence: { id: string; matchers: Record<string, string> } }
    ).silence;
    assert.deepEqual(silence.matchers, { alertname: "JobsStuck", queue: "mail" });

    await pool.query(`insert into opskit.alerts (fingerprint, rule, labels, annotations, state, active_at, fired_at, last_seen_at)
      values ('f1', 'JobsStuck', '{"alertname":"JobsStuck","queue":"mail"}', '{"summary":"2 stuck"}', 'firing', now(), now(), now())`);
    const listed = captureOutput();
    assert.equal(
      await runCli(["alerts", "list", "--json", ...url], listed.io),
      1,
      "exit 1 while an alert fires",
    );
    const data = JSON.parse(listed.out[0]!) as {
      alerts: { id: string; rule: string }[];
      silences: unknown[];
    };
    assert.equal(data.alerts[0]!.rule, "JobsStuck");
    assert.equal(data.silences.length, 1);

    const shown = captureOutput();
    assert.equal(
      await runCli(["alerts", "show", data.alerts[0]!.id, "--json", ...url], shown.io),
      0,
    );
    assert.deepEqual(
      (JSON.parse(shown.out[0]!) as { alert: { notifications: unknown[] } }).alert.notifications,
      [],
    );

    const ended = captureOutput();
    assert.equal(await runCli(["alerts", "unsilence", silence.id, ...url], ended.io), 0);
    assert.equal(
      await runCli(["alerts", "unsilence", silence.id, ...url], captureOutput().io),
      1,
      "already ended",
    );
  });
});

test("opskit alerts test sends through every configured notifier and says which answered", async () => {
  const [ok, down] = await Promise.all([startReceiver(), startReceiver(500)]);
  const saved = { ...process.env };
  try {
    process.env.OPSKIT_ALERTS_WEBHOOK_URL = ok.url;
    process.env.OPSKIT_ALERTS_SLACK_WEBHOOK_URL = down.url;
    const out = captureOutput();
    assert.equal(await runCli(["alerts", "test", "--json"], out.io), 1);
    const { results } = JSON.parse(out.out[0]!) as { results: { receiver: string; ok: boolean }[] };
    assert.deepEqual(
      results.map((r) => [r.receiver, r.ok]),
      [
        ["slack", false],
        ["webhook", true],
      ],
    );
    assert.equal(ok.requests.length, 1);
  } finally {
    process.env = saved;
    await Promise.all([ok.close(), down.close()]);
  }
});

test("opskit alerts rules --format prometheus prints the rule file; another format is a usage error", async () => {
  const out = captureOutput();
  assert.equal(await runCli(["alerts", "rules", "--format", "prometheus"], out.io), 0);
  assert.match(out.out[0]!, /- alert: ScheduleMissed/);
  assert.equal(await runCli(["alerts", "rules", "--format", "json"], captureOutput().io), 2);
});

test("pruning deletes resolved incidents and delivered notifications past retention, and keeps what a group still names", async () => {
  await withPool(async (pool) => {
    const insert = (fp: string, state: string, resolvedAgo: string) =>
      pool.query<{ id: string }>(
        `insert into opskit.alerts (fingerprint, rule, labels, annotations, state, active_at, last_seen_at, resolved_at)
         values ($1, 'R', '{}', '{}', $2, now(), now(), now() - $3::interval) returning id::text`,
        [fp, state, resolvedAgo],
      );
    const old = (await insert("a", "resolved", "40 days")).rows[0]!.id;
    const named = (await insert("b", "resolved", "40 days")).rows[0]!.id;
    const recent = (await insert("c", "resolved", "1 day")).rows[0]!.id;
    await pool.query(
      `insert into opskit.alert_groups (receiver, group_key, group_labels, notified) values ('w', 'g', '{}', array[$1::bigint])`,
      [named],
    );
    await pool.query(
      `insert into opskit.alert_notifications (receiver, group_key, seq, status, alert_ids, payload, delivery, created_at)
       values ('w', 'g', 1, 'firing', '{}', '{}', 'sent', now() - interval '40 days'),
              ('w', 'g', 2, 'firing', '{}', '{}', 'failed', now() - interval '40 days'),
              ('w', 'g', 3, 'firing', '{}', '{}', 'sent', now())`,
    );
    assert.deepEqual(await createAlertsAdmin(pool).prune({ olderThanMs: 30 * 86_400_000 }), {
      alerts: 1,
      notifications: 1,
    });
    const left = await pool.query<{ id: string }>("select id::text from opskit.alerts order by id");
    assert.deepEqual(
      left.rows.map((r) => r.id),
      [named, recent],
    );
    assert.ok(!left.rows.some((r) => r.id === old));
    const seqs = await pool.query<{ seq: string }>(
      "select seq from opskit.alert_notifications order by seq",
    );
    assert.deepEqual(
      seqs.rows.map((r) => Number(r.seq)),
      [2, 3],
      "a notification still being retried stays",
    );
  });
});
