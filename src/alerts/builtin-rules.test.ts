import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { Histogram, Registry } from "prom-client";
import { waitUntil, withPool } from "../../test/jobs.js";
import { withClient } from "../db/index.js";
import { createHealth } from "../health/index.js";
import { createLogger } from "../log/index.js";
import { startAlertEvaluator } from "./alert-evaluator.js";
import { BUILTIN_RULES, builtinRules } from "./builtin-rules.js";

// Every threshold at its smallest and every `for` at 0, so that one round
// after a condition is made true the rule fires, and one round after it is
// undone the rule resolves.
const overrides = {
  HttpErrorRatioHigh: { forMs: 0, windowMs: 1 },
  JobBacklogGrowing: { forMs: 0, threshold: 2, windowMs: 1 },
  JobOldestReadyTooOld: { forMs: 0, threshold: 60 },
  JobsStuck: { forMs: 0 },
  JobsDead: { windowMs: 60_000 },
  WebhookVerificationFailures: { threshold: 0 },
  InboxBacklogOld: { forMs: 0, threshold: 60 },
  WebhookSourcePaused: { threshold: 60 },
  ReadinessFailing: { forMs: 0 },
  MigrationsPending: { forMs: 0, windowMs: 0 },
  OutboxDeliveryLagging: { forMs: 0, threshold: 60 },
  OutboxSlotLagHigh: { forMs: 0, threshold: 0 },
  LongTransaction: { forMs: 0, threshold: 1 },
};

test("each built-in rule fires when its condition holds and resolves when it is gone, on a real database", async () => {
  await withPool(async (pool, db) => {
    const registry = new Registry();
    const http = new Histogram({
      name: "http_server_request_duration_seconds",
      help: "h",
      labelNames: ["http_response_status_code"],
      registers: [registry],
    });
    let dbUp = true;
    const health = createHealth({
      checks: [
        {
          name: "dependency",
          run: async () => (dbUp ? undefined : { status: "fail", output: "down" }),
        },
      ],
    });
    const dir = await mkdtemp(path.join(os.tmpdir(), "alerts-migrations-"));
    const evaluator = startAlertEvaluator({
      pool,
      databaseUrl: db.url,
      rules: builtinRules({ overrides }),
      notifiers: [],
      intervalMs: 3_600_000,
      enqueue: async () => undefined,
      log: createLogger({ level: "silent" }),
      registry,
      health,
      migrations: [{ source: "app", dir }],
    });
    const open = async () =>
      new Map(
        (
          await pool.query<{ rule: string; state: string }>(
            "select rule, state from opskit.alerts where state <> 'resolved'",
          )
        ).rows.map((r) => [r.rule, r.state]),
      );
    try {
      health.markStarted();
      await health.refresh();
      // A baseline round: the growth and rate rules need a first sample.
      await pool.query(
        "insert into opskit.jobs (task, queue) select 't', 'default' from generate_series(1, 3)",
      );
      await evaluator.runNow();
      assert.equal(evaluator.isLeader(), true);
      assert.deepEqual([...(await open()).keys()], ["Watchdog"]);

      // Make every condition true (the slot falls behind by the WAL written below).
      await pool.query(
        "select pg_create_logical_replication_slot('opskit_outbox_builtin_test', 'pgoutput')",
      );
      http.observe({ http_response_status_code: "500" }, 0.1);
      for (let i = 0; i < 29; i++) http.observe({ http_response_status_code: "503" }, 0.1);
      await pool.query(
        `insert into opskit.jobs (task, queue) select 't', 'default' from generate_series(1, 3)`,
      );
      await pool.query(
        `insert into opskit.jobs (task, queue, run_at) values ('old', 'slow', now() - interval '1 hour')`,
      );
      await pool.query(`insert into opskit.jobs (task, queue, state, locked_by, locked_at, lease_expires_at, attempts)
                        values ('t', 'stuckq', 'running', 'w1', now(), now() - interval '1 minute', 1)`);
      await pool.query(
        `insert into opskit.dead_jobs (id, task, queue, state) values (9000001, 'mail', 'default', 'ready')`,
      );
      await pool.query(`insert into opskit.job_schedules (name, cron, timezone, task, missed, grace_ms, created_at)
                        values ('nightly', '* * * * *', 'UTC', 't', 'skip', 0, now() - interval '1 hour')`);
      await pool.query(`insert into opskit.outbox_endpoints (name, url, secret, state)
                        values ('crm', 'https://crm.example/hooks', 'whsec_x', 'disabled')`);
      await pool.query(`insert into opskit.outbox (id, aggregatetype, aggregateid, type, created_at)
                        values (gen_random_uuid(), 'order', '1', 'order.created', now() - interval '1 hour')`);
      await pool.query(`insert into opskit.inbox_sources (name, verifier, paused, paused_at)
                        values ('shop', 'shopify', true, now() - interval '2 hours')`);
      await pool.query(
        `insert into opskit.inbox_rejections (slot, source, reason, http_status) values (1, 'shop', 'bad_signature', 401)`,
      );
      await pool.query(
        `insert into opskit.inbox_events (source, dedupe_key, status, body_bytes) values ('shop', 'd1', 'dead', 0)`,
      );
      await pool.query(
        `insert into opskit.jobs (task, queue, run_at) values ('process', 'inbox.shop', now() - interval '1 hour')`,
      );
      dbUp = false;
      await health.refresh();
      await writeFile(path.join(dir, "0001_new.sql"), "create table app_new (id int);");
      // The rule measures from pg_current_wal_lsn(), the WAL *written*; the
      // test server commits asynchronously, so the WAL of the inserts above can
      // still sit in WAL buffers (seen: a lag of exactly 0). A logical message
      // in a durable commit writes and flushes WAL past the slot for certain.
      await withClient(db.url, {}, async (c) => {
        await c.query("begin");
        await c.query("set local synchronous_commit = on");
        await c.query(
          "select pg_logical_emit_message(true, 'opskit-test', 'wal the slot holds back')",
        );
        await c.query("commit");
      });
      // A transaction holding a snapshot, older than the threshold (1 s).
      const holder = await pool.connect();
      await holder.query("begin isolation level repeatable read");
      await holder.query("select 1 from opskit.jobs limit 1");
      await waitUntil(async () => {
        const { rows } = await pool.query<{ old: boolean }>(
          "select now() - xact_start > interval '1.5 seconds' as old from pg_stat_activity where pid = $1",
          [(await holder.query<{ pid: number }>("select pg_backend_pid() as pid")).rows[0]!.pid],
        );
        return rows[0]?.old === true;
      }, "the holder's transaction is older than the threshold");
      await evaluator.runNow();
      const firing = await open();
      for (const spec of BUILTIN_RULES) {
        assert.equal(firing.get(spec.name), "firing", `${spec.name} fires`);
      }

      // Undo every condition.
      await holder.query("commit");
      holder.release();
      for (let i = 0; i < 100; i++) http.observe({ http_response_status_code: "200" }, 0.1);
      await pool.query("delete from opskit.jobs");
      await pool.query("update opskit.dead_jobs set died_at = now() - interval '1 hour'");
      await pool.query("update opskit.job_schedules set last_success_at = now()");
      await pool.query("update opskit.inbox_sources set paused = false, paused_at = null");
      await pool.query("update opskit.outbox_endpoints set state = 'active'");
      await pool.query("delete from opskit.outbox");
      await pool.query("select pg_drop_replication_slot('opskit_outbox_builtin_test')");
      await pool.query(
        "update opskit.inbox_rejections set rejected_at = now() - interval '1 hour'",
      );
      await pool.query("update opskit.inbox_events set status = 'processed'");
      dbUp = true;
      await health.refresh();
      await rm(path.join(dir, "0001_new.sql"));
      await evaluator.runNow();
      assert.deepEqual(
        [...(await open()).keys()],
        ["Watchdog"],
        "everything but the Watchdog resolved",
      );
      const { rows } = await pool.query<{ rule: string }>(
        "select distinct rule from opskit.alerts where state = 'resolved' order by rule",
      );
      assert.deepEqual(
        rows.map((r) => r.rule),
        BUILTIN_RULES.map((r) => r.name)
          .filter((n) => n !== "Watchdog")
          .sort(),
      );
      const statuses = await pool.query<{ n: string }>(
        "select count(*) as n from opskit.alert_rules where last_error is null and last_evaluated_at is not null",
      );
      assert.equal(
        Number(statuses.rows[0]!.n),
        BUILTIN_RULES.length,
        "every rule evaluated without error",
      );
    } finally {
      await pool.query(
        "select pg_drop_replication_slot(slot_name) from pg_replication_slots where slot_name = 'opskit_outbox_builtin_test'",
      );
      await evaluator.stop();
      health.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
