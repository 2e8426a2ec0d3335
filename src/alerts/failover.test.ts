import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { test } from "node:test";
import { waitUntil, withPool } from "../../test/jobs.js";
import { startReceiver } from "../../test/receivers.js";
import type { AlertMessage } from "./notifier.js";

const replica = path.resolve(import.meta.dirname, "../../test/fixtures/alert-evaluator-replica.ts");

function startReplica(databaseUrl: string, webhookUrl: string) {
  const child = spawn(
    process.execPath,
    ["--conditions=opskit-source", "--import", "tsx", replica],
    {
      env: { ...process.env, DATABASE_URL: databaseUrl, WEBHOOK_URL: webhookUrl },
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  const state = { child, leader: false };
  child.stdout.on("data", (d: Buffer) => {
    if (d.toString().includes("leader")) state.leader = true;
  });
  return state;
}

const stop = (c: ChildProcess) =>
  c.exitCode !== null || c.signalCode !== null
    ? Promise.resolve()
    : new Promise<void>((resolve) => {
        c.once("exit", () => resolve());
        c.kill("SIGKILL");
      });

test("two evaluator replicas, the leader killed with SIGKILL while its alert fires: exactly one firing and one resolved message", async () => {
  const hook = await startReceiver();
  await withPool(async (pool, db) => {
    await pool.query("create table test_condition (on_ boolean not null)");
    const a = startReplica(db.url, hook.url);
    const b = startReplica(db.url, hook.url);
    try {
      await waitUntil(() => a.leader || b.leader, "one replica leads", 30_000);
      const [leader, standby] = a.leader ? [a, b] : [b, a];
      assert.equal(standby.leader, false, "only one leads");
      await pool.query("insert into test_condition values (true)");
      await waitUntil(() => hook.accepted().length === 1, "the firing message arrived");
      // Killed once its delivery is recorded: a kill between the receiver's
      // answer and that record would send the same message again (same
      // webhook-id, which the receiver dedupes on; docs/alerts.md); this test
      // is about the evaluator's failover.
      await waitUntil(
        async () =>
          (await pool.query("select 1 from opskit.alert_notifications where delivery = 'sent'"))
            .rowCount === 1,
        "the firing delivery recorded",
      );

      await stop(leader.child);
      await waitUntil(() => standby.leader, "the standby took over");
      // The new leader continues the incident: it does not fire it again.
      const heartbeat = async () =>
        (
          await pool.query<{ at: Date }>(
            "select max(last_evaluated_at) as at from opskit.alert_rules",
          )
        ).rows[0]!.at;
      const since = await heartbeat();
      await waitUntil(async () => (await heartbeat()) > since, "the new leader evaluated");
      await pool.query("delete from test_condition");
      await waitUntil(() => hook.accepted().length === 2, "the resolved message arrived");
      // More rounds by the new leader send nothing more.
      const after = await heartbeat();
      await waitUntil(
        async () => (await heartbeat()).getTime() > after.getTime() + 300,
        "a few more rounds",
      );
      const { rows } = await pool.query<{ status: string; delivery: string }>(
        "select status, delivery from opskit.alert_notifications order by id",
      );
      assert.deepEqual(
        rows.map((r) => `${r.status}:${r.delivery}`),
        ["firing:sent", "resolved:sent"],
        "one notification row per state change",
      );
    } finally {
      await Promise.all([stop(a.child), stop(b.child)]);
    }
  });
  await hook.close();
  const messages = hook.accepted().map((r) => r.json as AlertMessage);
  assert.deepEqual(
    messages.map((m) => m.status),
    ["firing", "resolved"],
  );
  assert.equal(messages[0]!.alerts[0]!.fingerprint, messages[1]!.alerts[0]!.fingerprint);
  assert.equal(hook.requests.length, 2, "no duplicate was sent");
});
