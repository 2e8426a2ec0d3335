/**
 * `npm run bench -- jobs-scale [--quick]`: the job queue past one quiet
 * process (docs/scaling.md), on one embedded Postgres 15 with durable
 * settings (fsync and synchronous_commit on) and max_connections 100, each
 * part in its own database. `JOBS_SCALE_PARTS=throughput,handlers,ceiling,claimers,horizon,burst,processes`
 * picks parts (default all). Every figure is the median of interleaved
 * rounds; the 1-minute load average is recorded beside each.
 *
 * - throughput: no-op jobs, opskit beside graphile-worker (batched and
 *   default), pg-boss (tuned) and BullMQ on Postgres, quiet and with a
 *   CPU-bound competitor (one Node process spinning per core).
 * - handlers: 1 ms of CPU and one row written per job; opskit and
 *   graphile-worker (batched) against the same work in plain async loops at
 *   the same concurrency (the handlers' own cost).
 * - ceiling: the claim and completion statements opskit sends, run by
 *   pgbench (no Node), against opskit's worker on the same backlog.
 * - claimers: the same claim and completion statements from 1, 4, 16 and 32
 *   pgbench clients, with claims in turns (0013) and in parallel (the claim
 *   as 0012 defined it): what many claimers cost Postgres alone.
 * - horizon: one worker drains a backlog while another session holds a
 *   snapshot open (repeatable read, idle in transaction), against the same
 *   drain with none: what a long transaction elsewhere costs the claims.
 * - burst: 10k/50k/200k jobs into a table analyzed while empty, then a
 *   worker; the same with fresh statistics; and a worker already running
 *   while the burst lands. The claim with its fixed plan (0012) beside the
 *   same claim with its planner settings reset (the plan left to statistics,
 *   as before 0012). Time until 10% of the burst is done, and all of it.
 * - processes: 1, 4, 16 and 32 worker processes, directly (pool of 2 each,
 *   LISTEN on a pool connection) and through pgbouncer in transaction mode
 *   (pool of 4 each to pgbouncer, 20 server connections, prepared
 *   statements off, LISTEN on one direct connection per process):
 *   throughput, peak server connections, p99 enqueue → start.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import pg from "pg";
import { createPool, startEmbeddedPostgres, type Pool } from "../src/db/index.js";
import { createQueue, defineTask } from "../src/jobs/index.js";
// eslint-disable-next-line no-restricted-imports -- the ceiling runs the queue's own completion statement, not a copy
import { COMPLETE_SQL } from "../src/jobs/sql/settle-jobs.js";
import { migrate, toolkitMigrationsDir } from "../src/migrate/index.js";
import { startPgbouncer } from "../test/pgbouncer.js";
import type { Benchmark } from "./harness.js";
import { median, percentile, round, versions } from "./harness.js";
import { cpuMs, parentPid, serverCpuMs } from "./proc-cpu.js";
import {
  bullmqSystem,
  CONCURRENCY,
  graphileSystem,
  opskitSystem,
  pgBossSystem,
  type System,
} from "./jobs-systems.js";

// This bench's ports (the helper's range): the server and pgbouncer.
const PG_PORT = 55_550;
const BOUNCER_PORT = 55_552;

const load1 = () => round(os.loadavg()[0]!, 2);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function migrated(url: string): Promise<void> {
  const { error } = await migrate({
    connectionString: url,
    sources: [{ source: "opskit", dir: toolkitMigrationsDir }],
  });
  if (error) throw new Error(error.message);
}

/** One Node process spinning per core, until stopped. */
function startCompetitors(): ChildProcess[] {
  return os.cpus().map(() => spawn(process.execPath, ["-e", "for (;;) {}"], { stdio: "ignore" }));
}
async function stopAll(children: ChildProcess[]): Promise<void> {
  await Promise.all(
    children.map(async (c) => {
      if (c.exitCode !== null || c.signalCode !== null) return;
      const exited = once(c, "exit");
      c.kill("SIGKILL");
      await exited;
    }),
  );
}

/** Spins the CPU for `ms` (the realistic handler's compute). */
function spin(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // busy
  }
}

/** Runs `script` with pgbench (prepared statements, `clients` clients, `transactions` each); the elapsed ms. */
function pgbench(url: string, script: string, clients: number, transactions: number): number {
  const target = new URL(url);
  const started = performance.now();
  const run = spawnSync(
    "pgbench",
    [
      "-n",
      "-M",
      "prepared",
      "-f",
      script,
      "-c",
      String(clients),
      "-j",
      "2",
      "-t",
      String(transactions),
      "-h",
      target.hostname,
      "-p",
      target.port,
      "-U",
      decodeURIComponent(target.username),
      decodeURIComponent(target.pathname.slice(1)),
    ],
    { env: { ...process.env, PGPASSWORD: decodeURIComponent(target.password) }, encoding: "utf8" },
  );
  const elapsed = performance.now() - started;
  if (run.status !== 0) throw new Error(`pgbench failed: ${run.stderr}`);
  return elapsed;
}

/** A claim of `batch` and the worker's completion statement for it, as a pgbench script. */
async function writeClaimScript(file: string, batch: number): Promise<void> {
  // The statement the worker sends for a batch of completed jobs, its parameters as pgbench variables.
  const completeText = COMPLETE_SQL.replace("$1::bigint[]", ":ids::bigint[]")
    .replace("$2::integer[]", ":att::integer[]")
    .replace("$3::float8[]", ":st::float8[]")
    .replace("$4::text", "('pgbench-' || :client_id)")
    .replace("$5::boolean", "true");
  await writeFile(
    file,
    `select array_agg(id)::text as ids, array_agg(attempts)::text as att,
  array_agg(extract(epoch from now()) * 1000)::text as st
  from opskit.claim_jobs('pgbench-' || :client_id, '{default}', '{noop}', ${batch}, 30000) \\gset
${completeText.replaceAll("\n", " ")};
`,
  );
}

/** Empties the queue and adds `count` no-op jobs, then analyzes. */
async function fillJobs(pool: Pool, count: number): Promise<void> {
  const noop = defineTask("noop", () => undefined);
  const queue = createQueue({ pool, tasks: [noop] });
  await pool.query("delete from opskit.jobs");
  await pool.query("truncate opskit.job_history");
  await pool.query("vacuum analyze opskit.jobs");
  for (let i = 0; i < count; i += 10_000) {
    await queue.addMany(
      Array.from({ length: Math.min(10_000, count - i) }, () => ({ task: noop, payload: {} })),
    );
  }
  await pool.query("analyze opskit.jobs");
}

/** The pid of the server's postmaster (the parent of a backend of `db`). */
async function postmasterPid(db: Pool | pg.Client): Promise<number> {
  const { rows } = await db.query<{ pid: number }>("select pg_backend_pid() as pid");
  return parentPid(rows[0]!.pid);
}

/**
 * Runs `n` jobs of an already filled queue; jobs/s from the worker's start to
 * the nth job, or what it handled within `limitMs` (the slow anchors).
 */
async function processing(
  system: System,
  n: number,
  onJob: () => void | Promise<void>,
  limitMs = 120_000,
) {
  let done = 0;
  let finish!: () => void;
  const all = new Promise<void>((r) => (finish = r));
  const started = performance.now();
  const worker = await system.work(async () => {
    await onJob();
    if (++done === n) finish();
  });
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([all, new Promise((r) => (timer = setTimeout(r, limitMs)))]);
  clearTimeout(timer);
  const elapsed = performance.now() - started;
  await worker.stop();
  return (done / elapsed) * 1000;
}

type Samples = Map<string, { values: number[]; loads: number[] }>;
function record(samples: Samples, key: string, value: number) {
  const s = samples.get(key) ?? { values: [], loads: [] };
  s.values.push(value);
  s.loads.push(load1());
  samples.set(key, s);
  console.error(`  ${key}: ${round(value, 1)} (load ${load1()})`);
}
const summarize = (samples: Samples) =>
  Object.fromEntries(
    [...samples].map(([k, s]) => [
      k,
      {
        median: round(median(s.values), 1),
        rounds: s.values.map((v) => round(v, 1)),
        load1: s.loads,
      },
    ]),
  );

const jobsScale: Benchmark = async ({ quick }) => {
  const parts = new Set(
    (
      process.env.JOBS_SCALE_PARTS ?? "throughput,handlers,ceiling,claimers,horizon,burst,processes"
    ).split(","),
  );
  const rounds = quick ? 2 : 3;
  const tmp = await mkdtemp(path.join(os.tmpdir(), "opskit-bench-jobs-scale-"));
  const server = await startEmbeddedPostgres({
    dataDir: path.join(tmp, "pg"),
    port: PG_PORT,
    persistent: false,
    settings: {
      fsync: "on",
      synchronous_commit: "on",
      max_connections: "100",
      shared_buffers: "256MB",
    },
  });
  const admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
  const createDb = async (name: string) => {
    await admin.query(`create database ${name}`);
    return server.urlFor(name);
  };
  const figures: Record<string, unknown> = {};
  const ratios: Record<string, number> = {};
  const table: Record<string, string | number>[] = [];
  const closers: (() => Promise<unknown>)[] = [];
  try {
    // ---- throughput: no-op jobs, quiet and under a CPU-bound competitor -------------------
    if (parts.has("throughput")) {
      const n = 20_000;
      const nLarge = 100_000;
      const factories: [string, (url: string) => Promise<System>][] = [
        ["opskit", opskitSystem],
        ["graphile_batched", (u) => graphileSystem(u, true)],
        ["graphile_default", (u) => graphileSystem(u, false)],
        ["pgboss_tuned", (u) => pgBossSystem(u, true)],
        ["bullmq_pg", bullmqSystem],
      ];
      const systems = new Map<string, System>();
      for (const [key, make] of factories) {
        const system = await make(await createDb(`t_${key}`));
        systems.set(key, system);
        closers.push(() => system.close());
      }
      const samples: Samples = new Map();
      for (let r = 0; r < rounds; r++) {
        for (const phase of ["quiet", "cpu"] as const) {
          const competitors = phase === "cpu" ? startCompetitors() : [];
          try {
            for (const [key, system] of systems) {
              console.error(`throughput round ${r + 1} ${phase}: ${key}`);
              await system.clear(false);
              await system.bulkAdd(n);
              await system.analyze();
              // pg-boss, BullMQ and graphile-worker's default handle a few thousand jobs/s at
              // most: time-boxed at 15 s (what they handled in that time).
              record(
                samples,
                `${key}/${phase}`,
                await processing(system, n, () => undefined, 15_000),
              );
            }
            // A larger backlog, for the two that drain it in seconds: a run of 20,000
            // no-op jobs lasts under half a second, so its start weighs in it.
            for (const key of quick ? [] : ["opskit", "graphile_batched"]) {
              const system = systems.get(key)!;
              console.error(`throughput round ${r + 1} ${phase}: ${key} (${nLarge})`);
              await system.clear(false);
              await system.bulkAdd(nLarge);
              await system.analyze();
              const postmaster = await postmasterPid(admin);
              const before = { bench: process.cpuUsage(), server: serverCpuMs(postmaster) };
              record(
                samples,
                `${key}/${phase}/${nLarge}`,
                await processing(system, nLarge, () => undefined),
              );
              // CPU per job: this process (the worker runs in it) and the server's processes.
              const used = process.cpuUsage(before.bench);
              const serverMs = serverCpuMs(postmaster) - before.server;
              record(
                samples,
                `${key}/${phase}/${nLarge}/node_cpu_us_per_job`,
                (used.user + used.system) / nLarge,
              );
              record(
                samples,
                `${key}/${phase}/${nLarge}/postgres_cpu_us_per_job`,
                (serverMs * 1000) / nLarge,
              );
            }
          } finally {
            await stopAll(competitors);
          }
        }
      }
      for (const system of systems.values()) await system.clear(false);
      const t = summarize(samples);
      figures.throughput = { n, concurrency: CONCURRENCY, jobs_per_s: t };
      const m = (k: string) => t[k]?.median ?? NaN;
      ratios.noop_quiet_vs_graphile_batched = round(
        m("opskit/quiet") / m("graphile_batched/quiet"),
        2,
      );
      ratios.noop_cpu_vs_graphile_batched = round(m("opskit/cpu") / m("graphile_batched/cpu"), 2);
      if (!quick) {
        ratios.noop_quiet_100k_vs_graphile_batched = round(
          m(`opskit/quiet/${nLarge}`) / m(`graphile_batched/quiet/${nLarge}`),
          2,
        );
        ratios.noop_cpu_100k_vs_graphile_batched = round(
          m(`opskit/cpu/${nLarge}`) / m(`graphile_batched/cpu/${nLarge}`),
          2,
        );
      }
      ratios.noop_quiet_vs_graphile_default = round(
        m("opskit/quiet") / m("graphile_default/quiet"),
        2,
      );
      ratios.noop_quiet_vs_pgboss_tuned = round(m("opskit/quiet") / m("pgboss_tuned/quiet"), 2);
      ratios.noop_quiet_vs_bullmq_pg = round(m("opskit/quiet") / m("bullmq_pg/quiet"), 2);
      for (const key of systems.keys()) {
        table.push({
          part: "throughput",
          case: key,
          "quiet jobs/s": m(`${key}/quiet`),
          "cpu jobs/s": m(`${key}/cpu`),
        });
      }
      for (const key of quick ? [] : ["opskit", "graphile_batched"]) {
        table.push({
          part: "throughput",
          case: `${key} (${nLarge})`,
          "quiet jobs/s": m(`${key}/quiet/${nLarge}`),
          "cpu jobs/s": m(`${key}/cpu/${nLarge}`),
          "node µs/job (quiet)": m(`${key}/quiet/${nLarge}/node_cpu_us_per_job`),
          "postgres µs/job (quiet)": m(`${key}/quiet/${nLarge}/postgres_cpu_us_per_job`),
        });
      }
    }

    // ---- handlers: 1 ms of CPU and one row per job, against the work alone -------------------
    if (parts.has("handlers")) {
      const n = quick ? 3_000 : 6_000;
      const url = await createDb("handlers");
      const rows = new pg.Pool({ connectionString: url, max: CONCURRENCY });
      closers.push(() => rows.end());
      const systems = new Map<string, System>([
        ["opskit", await opskitSystem(url)],
        ["graphile_batched", await graphileSystem(url, true)],
      ]);
      for (const s of systems.values()) closers.push(() => s.close());
      await rows.query(
        "create table bench_rows (id bigint generated always as identity, at timestamptz default now())",
      );
      const work = async () => {
        spin(1);
        await rows.query("insert into bench_rows default values");
      };
      const samples: Samples = new Map();
      for (let r = 0; r < rounds; r++) {
        console.error(`handlers round ${r + 1}`);
        // The handlers' own cost: the same work in CONCURRENCY plain async loops.
        let next = 0;
        const started = performance.now();
        await Promise.all(
          Array.from({ length: CONCURRENCY }, async () => {
            while (next++ < n) await work();
          }),
        );
        record(samples, "plain_loop", (n / (performance.now() - started)) * 1000);
        for (const [key, system] of systems) {
          await system.clear(false);
          await system.bulkAdd(n);
          await system.analyze();
          record(samples, key, await processing(system, n, work));
        }
        await rows.query("truncate bench_rows");
      }
      const t = summarize(samples);
      figures.handlers = { n, concurrency: CONCURRENCY, cpu_ms_per_job: 1, jobs_per_s: t };
      const m = (k: string) => t[k]?.median ?? NaN;
      ratios.realistic_vs_plain_loop = round(m("opskit") / m("plain_loop"), 3);
      ratios.realistic_graphile_batched_vs_plain_loop = round(
        m("graphile_batched") / m("plain_loop"),
        3,
      );
      for (const key of ["plain_loop", "opskit", "graphile_batched"])
        table.push({ part: "handlers (1 ms CPU + 1 row)", case: key, "quiet jobs/s": m(key) });
    }

    // ---- ceiling: the same statements through pgbench ---------------------------------------
    if (parts.has("ceiling")) {
      const n = quick ? 100_000 : 200_000;
      const url = await createDb("ceiling");
      await migrated(url);
      const pool = createPool({ connectionString: url, max: 10 });
      closers.push(() => pool.end());
      const batch = 200;
      const script = path.join(tmp, "claim-settle.sql");
      await writeClaimScript(script, batch);
      const samples: Samples = new Map();
      const clients = 4;
      for (let r = 0; r < rounds; r++) {
        console.error(`ceiling round ${r + 1}`);
        await fillJobs(pool, n + clients * batch * 2);
        const transactions = Math.floor(n / (clients * batch));
        const elapsed = pgbench(url, script, clients, transactions);
        const { rows } = await pool.query<{ n: number }>(
          "select count(*)::int as n from opskit.job_history",
        );
        if (rows[0]!.n !== transactions * clients * batch)
          throw new Error(
            `pgbench settled ${rows[0]!.n} jobs, expected ${transactions * clients * batch}`,
          );
        record(samples, "pgbench", (rows[0]!.n / elapsed) * 1000);

        await fillJobs(pool, n);
        let done = 0;
        let finish!: () => void;
        const all = new Promise<void>((res) => (finish = res));
        const onJob = defineTask("noop", () => {
          if (++done === n) finish();
        });
        const q = createQueue({ pool, tasks: [onJob] });
        const t0 = performance.now();
        const worker = q.work({ maintenance: false });
        await all;
        record(samples, "opskit_worker", (n / (performance.now() - t0)) * 1000);
        await worker.stop();
      }
      const t = summarize(samples);
      figures.ceiling = { n, batch, pgbench_clients: clients, jobs_per_s: t };
      ratios.opskit_vs_pgbench_ceiling = round(
        (t.opskit_worker?.median ?? NaN) / (t.pgbench?.median ?? NaN),
        2,
      );
      for (const key of ["pgbench", "opskit_worker"])
        table.push({ part: "ceiling", case: key, "quiet jobs/s": t[key]?.median ?? NaN });
    }

    // ---- claimers: the same statements from 1 to 32 pgbench clients, in turns or in parallel ---
    if (parts.has("claimers")) {
      const batch = 200;
      const counts = [1, 4, 16, 32];
      const n = quick ? 64_000 : 128_000; // a multiple of 32 clients × 200
      const script = path.join(tmp, "claimers.sql");
      await writeClaimScript(script, batch);
      // "parallel": the claim as 0012 defined it, before claims took turns (0013).
      const claim0012 = (
        await readFile(path.join(toolkitMigrationsDir, "0012_jobs_claim_plan.sql"), "utf8")
      ).replace("create function", "create or replace function");
      const variants = new Map<string, { url: string; pool: Pool }>();
      for (const variant of ["turns", "parallel"]) {
        const url = await createDb(`claimers_${variant}`);
        await migrated(url);
        const pool = createPool({ connectionString: url, max: 4 });
        closers.push(() => pool.end());
        if (variant === "parallel") await pool.query(claim0012);
        variants.set(variant, { url, pool });
      }
      const samples: Samples = new Map();
      for (let r = 0; r < rounds; r++) {
        for (const clients of counts) {
          for (const [variant, { url, pool }] of variants) {
            console.error(`claimers round ${r + 1}: ${clients} × ${variant}`);
            await fillJobs(pool, n);
            const elapsed = pgbench(url, script, clients, n / (clients * batch));
            const { rows } = await pool.query<{ n: number }>(
              "select count(*)::int as n from opskit.job_history",
            );
            if (rows[0]!.n !== n) throw new Error(`pgbench settled ${rows[0]!.n} of ${n} jobs`);
            record(samples, `${variant}/${clients}`, (n / elapsed) * 1000);
          }
        }
      }
      const t = summarize(samples);
      figures.claimers = { n, batch, clients: counts, jobs_per_s: t };
      const m = (k: string) => t[k]?.median ?? NaN;
      ratios.claimers_turns_32_vs_4 = round(m("turns/32") / m("turns/4"), 2);
      ratios.claimers_parallel_32_vs_4 = round(m("parallel/32") / m("parallel/4"), 2);
      for (const clients of counts)
        table.push({
          part: "claimers (pgbench)",
          case: `${clients} clients`,
          "turns jobs/s": m(`turns/${clients}`),
          "parallel jobs/s": m(`parallel/${clients}`),
        });
    }

    // ---- horizon: a snapshot held open elsewhere in the database while a worker drains -----
    if (parts.has("horizon")) {
      const n = quick ? 50_000 : 100_000;
      const url = await createDb("horizon");
      const system = await opskitSystem(url);
      closers.push(() => system.close());
      const samples: Samples = new Map();
      for (let r = 0; r < rounds; r++) {
        for (const held of [false, true]) {
          const key = held ? "snapshot_held" : "no_snapshot";
          console.error(`horizon round ${r + 1}: ${key}`);
          await system.clear(false);
          await system.bulkAdd(n);
          await system.analyze();
          // Another session's open transaction with a snapshot (what pg_dump, a long report
          // or a connection left idle in transaction holds): dead rows cannot be pruned.
          const holder = new pg.Client({ connectionString: url });
          await holder.connect();
          try {
            if (held) {
              await holder.query("begin isolation level repeatable read");
              await holder.query("select count(*) from opskit.job_queues");
            }
            const postmaster = await postmasterPid(admin);
            const server0 = serverCpuMs(postmaster);
            record(samples, `${key}/jobs_per_s`, await processing(system, n, () => undefined));
            record(
              samples,
              `${key}/postgres_cpu_us_per_job`,
              ((serverCpuMs(postmaster) - server0) * 1000) / n,
            );
          } finally {
            await holder.end();
          }
        }
      }
      const t = summarize(samples);
      figures.horizon = { n, jobs_per_s: t };
      const m = (k: string) => t[k]?.median ?? NaN;
      ratios.horizon_held_vs_none = round(
        m("snapshot_held/jobs_per_s") / m("no_snapshot/jobs_per_s"),
        2,
      );
      for (const key of ["no_snapshot", "snapshot_held"])
        table.push({
          part: "horizon",
          case: key,
          "quiet jobs/s": m(`${key}/jobs_per_s`),
          "postgres µs/job": m(`${key}/postgres_cpu_us_per_job`),
        });
    }

    // ---- burst: statistics taken while the table was empty ----------------------------------
    if (parts.has("burst")) {
      const sizes = quick ? [10_000, 50_000] : [10_000, 50_000, 200_000];
      const variants: [string, string][] = [
        ["fixed_plan", await createDb("burst_fixed")],
        ["plan_by_statistics", await createDb("burst_stats")],
      ];
      const pools = new Map<string, Pool>();
      for (const [variant, url] of variants) {
        await migrated(url);
        const pool = createPool({ connectionString: url, max: 10 });
        closers.push(() => pool.end());
        pools.set(variant, pool);
        // Neither autovacuum nor the maintenance round analyzes during a run: the statistics stay the empty table's.
        await pool.query("alter table opskit.jobs set (autovacuum_enabled = off)");
        if (variant === "plan_by_statistics") {
          await pool.query(
            "alter function opskit.claim_jobs(text, text[], text[], integer, integer, boolean) reset all",
          );
        }
      }
      const samples: Samples = new Map();
      const limitMs = 90_000;
      for (let r = 0; r < rounds; r++) {
        for (const size of sizes) {
          for (const [variant] of variants) {
            // The plan left to statistics takes minutes at 200k: measured up to 50k.
            if (variant === "plan_by_statistics" && size > 50_000) continue;
            const pool = pools.get(variant)!;
            for (const mode of [
              "stale_then_start",
              "analyzed_then_start",
              "running_during_burst",
            ]) {
              console.error(`burst round ${r + 1}: ${variant} ${size} ${mode}`);
              await pool.query("delete from opskit.jobs");
              await pool.query("truncate opskit.job_history");
              await pool.query("vacuum analyze opskit.jobs");
              let done = 0;
              let tenth = NaN;
              let t0 = 0;
              let finish!: () => void;
              const all = new Promise<void>((res) => (finish = res));
              const noop = defineTask("noop", () => {
                if (++done === size / 10) tenth = performance.now() - t0;
                if (done === size) finish();
              });
              const queue = createQueue({ pool, tasks: [noop] });
              const add = async () => {
                for (let i = 0; i < size; i += 10_000) {
                  await queue.addMany(
                    Array.from({ length: Math.min(10_000, size - i) }, () => ({
                      task: noop,
                      payload: {},
                    })),
                  );
                }
              };
              let worker;
              if (mode === "running_during_burst") {
                worker = queue.work({ maintenance: false });
                await worker.ready();
                t0 = performance.now();
                await add();
              } else {
                await add();
                if (mode === "analyzed_then_start") await pool.query("analyze opskit.jobs");
                t0 = performance.now();
                worker = queue.work({ maintenance: false });
              }
              let timer: NodeJS.Timeout | undefined;
              await Promise.race([all, new Promise((res) => (timer = setTimeout(res, limitMs)))]);
              clearTimeout(timer);
              const total = performance.now() - t0;
              await worker.stop();
              const key = `${variant}/${size}/${mode}`;
              record(samples, `${key}/first_10pct_ms`, tenth);
              record(samples, `${key}/jobs_per_s`, (done / total) * 1000);
            }
          }
        }
      }
      const t = summarize(samples);
      figures.burst = { sizes, limit_ms: limitMs, figures: t };
      const m = (k: string) => t[k]?.median ?? NaN;
      ratios.burst_50k_stale_vs_analyzed = round(
        m("fixed_plan/50000/stale_then_start/jobs_per_s") /
          m("fixed_plan/50000/analyzed_then_start/jobs_per_s"),
        2,
      );
      ratios.burst_50k_fixed_vs_plan_by_statistics_stale = round(
        m("fixed_plan/50000/stale_then_start/jobs_per_s") /
          m("plan_by_statistics/50000/stale_then_start/jobs_per_s"),
        2,
      );
      for (const size of sizes)
        for (const [variant] of variants)
          for (const mode of ["stale_then_start", "analyzed_then_start", "running_during_burst"]) {
            const key = `${variant}/${size}/${mode}`;
            if (!t[`${key}/jobs_per_s`]) continue;
            table.push({
              part: "burst",
              case: key,
              "quiet jobs/s": m(`${key}/jobs_per_s`),
              "first 10% ms": m(`${key}/first_10pct_ms`),
            });
          }
    }

    // ---- processes: many worker processes, directly and through pgbouncer ------------------
    if (parts.has("processes")) {
      // JOBS_SCALE_COUNTS=4,32 and JOBS_SCALE_PREFETCH=50 (each worker's prefetch) for a variant.
      const counts = (process.env.JOBS_SCALE_COUNTS ?? "1,4,16,32").split(",").map(Number);
      const prefetch = process.env.JOBS_SCALE_PREFETCH;
      const n = quick ? 30_000 : 100_000;
      const url = await createDb("processes");
      await migrated(url);
      const pool = createPool({ connectionString: url, max: 4 });
      closers.push(() => pool.end());
      const bouncer = await startPgbouncer(url, {
        poolMode: "transaction",
        poolSize: 20,
        maxClientConn: 400,
        port: BOUNCER_PORT,
      });
      closers.push(() => bouncer.stop());
      const noop = defineTask("noop", () => undefined);
      const queue = createQueue({ pool, tasks: [noop] });
      const worker = path.resolve(import.meta.dirname, "jobs-scale-worker.ts");
      const modes = {
        direct: { DATABASE_URL: url, POOL_MAX: "2", PREPARED: "1" },
        pgbouncer: { DATABASE_URL: bouncer.url, LISTEN_URL: url, POOL_MAX: "4", PREPARED: "0" },
      };
      const samples: Samples = new Map();
      for (let r = 0; r < (quick ? 1 : 2); r++) {
        for (const count of counts) {
          for (const [mode, env] of Object.entries(modes)) {
            console.error(`processes round ${r + 1}: ${count} × ${mode}`);
            await pool.query("delete from opskit.jobs");
            await pool.query("truncate opskit.job_history, opskit.job_workers");
            await pool.query("vacuum analyze opskit.jobs");
            const children = Array.from({ length: count }, (_, i) =>
              spawn(process.execPath, ["--import", "tsx", worker], {
                env: {
                  ...process.env,
                  ...env,
                  CONCURRENCY: String(CONCURRENCY),
                  MAINTENANCE: i === 0 ? "1" : "0",
                  ...(prefetch ? { PREFETCH: prefetch } : {}),
                },
                stdio: ["ignore", "pipe", "inherit"],
              }),
            );
            const lines = children.map((c) =>
              createInterface({ input: c.stdout })[Symbol.asyncIterator](),
            );
            try {
              await Promise.all(
                lines.map(async (l) => {
                  if ((await l.next()).value !== "ready") throw new Error("a worker did not start");
                }),
              );
              // Warm-up: 1,000 jobs per process first, so each process's JIT and
              // adaptive prefetch are past their start (with 32 processes and no
              // warm-up, most of a 30,000-job drain was each process warming up).
              await queue.addMany(
                Array.from({ length: count * 1_000 }, () => ({ task: noop, payload: {} })),
              );
              for (;;) {
                const { rows } = await pool.query<{ n: number }>(
                  "select count(*)::int as n from opskit.jobs",
                );
                if (rows[0]!.n === 0) break;
                await sleep(50);
              }
              await pool.query("truncate opskit.job_history");
              // Throughput: n jobs land while every process is claiming.
              let peak = 0;
              const sample = async () => {
                const { rows } = await pool.query<{ n: number }>(
                  "select count(*)::int as n from pg_stat_activity where backend_type = 'client backend'",
                );
                peak = Math.max(peak, rows[0]!.n);
              };
              // Worker and Postgres CPU per job over the drain.
              const workerPids = children.map((c) => c.pid!);
              const postmaster = await postmasterPid(pool);
              const cpu0 = { workers: cpuMs(workerPids), server: serverCpuMs(postmaster) };
              const t0 = performance.now();
              for (let i = 0; i < n; i += 10_000) {
                await queue.addMany(
                  Array.from({ length: Math.min(10_000, n - i) }, () => ({
                    task: noop,
                    payload: {},
                  })),
                );
              }
              for (;;) {
                await sample();
                const { rows } = await pool.query<{ n: number }>(
                  "select count(*)::int as n from opskit.job_history",
                );
                if (rows[0]!.n >= n) break;
                if (performance.now() - t0 > 180_000)
                  throw new Error(`only ${rows[0]!.n} of ${n} jobs done`);
                await sleep(50);
              }
              record(samples, `${mode}/${count}/jobs_per_s`, (n / (performance.now() - t0)) * 1000);
              record(
                samples,
                `${mode}/${count}/worker_cpu_us_per_job`,
                ((cpuMs(workerPids) - cpu0.workers) * 1000) / n,
              );
              record(
                samples,
                `${mode}/${count}/postgres_cpu_us_per_job`,
                ((serverCpuMs(postmaster) - cpu0.server) * 1000) / n,
              );
              record(samples, `${mode}/${count}/peak_connections`, peak);
              // Latency: one job every 5 ms for 3 s, each carrying its enqueue time.
              const until = performance.now() + 3_000;
              while (performance.now() < until) {
                await queue.add(noop, { t: Date.now() });
                await sleep(5);
              }
              await sleep(1_000);
            } finally {
              for (const c of children) c.kill("SIGTERM");
            }
            const results = await Promise.all(
              lines.map(async (l) => {
                const next = await l.next();
                return next.done === true
                  ? { done: 0, latencies: [] }
                  : (JSON.parse(next.value) as { done: number; latencies: number[] });
              }),
            );
            await Promise.all(
              children.map(async (c) => {
                if (c.exitCode === null && c.signalCode === null) await once(c, "exit");
              }),
            );
            const latencies = results.flatMap((x) => x.latencies).sort((a, b) => a - b);
            record(samples, `${mode}/${count}/p99_enqueue_to_start_ms`, percentile(latencies, 99));
          }
        }
      }
      const t = summarize(samples);
      figures.processes = {
        n,
        counts,
        concurrency_per_process: CONCURRENCY,
        prefetch: prefetch ?? "adaptive (default)",
        modes: {
          direct: "pool of 2 per process, LISTEN on a pool connection, prepared statements",
          pgbouncer:
            "pgbouncer 1.18 pool_mode=transaction default_pool_size=20; pool of 4 per process to it; LISTEN on one direct connection per process; prepared statements off",
        },
        figures: t,
      };
      const m = (k: string) => t[k]?.median ?? NaN;
      for (const mode of Object.keys(modes)) {
        ratios[`processes_${mode}_32_vs_4`] = round(
          m(`${mode}/32/jobs_per_s`) / m(`${mode}/4/jobs_per_s`),
          2,
        );
        for (const count of counts)
          table.push({
            part: "processes",
            case: `${mode} × ${count}`,
            "quiet jobs/s": m(`${mode}/${count}/jobs_per_s`),
            "peak conns": m(`${mode}/${count}/peak_connections`),
            "p99 ms": m(`${mode}/${count}/p99_enqueue_to_start_ms`),
            "worker µs/job": m(`${mode}/${count}/worker_cpu_us_per_job`),
            "postgres µs/job": m(`${mode}/${count}/postgres_cpu_us_per_job`),
          });
      }
    }
  } finally {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    await admin.end().catch(() => undefined);
    process.on("uncaughtException", (error) => {
      if (!/terminating connection/.test(error.message)) throw error;
    });
    await server.stop();
    await rm(tmp, { recursive: true, force: true });
  }
  return {
    table,
    figures: {
      ...figures,
      postgres: "embedded 15.x, fsync=on, synchronous_commit=on, max_connections=100",
      load_average_at_end: os.loadavg(),
    },
    ratios,
    versions: versions(["graphile-worker", "pg-boss", "bullmq", "pg"]),
  };
};

export default jobsScale;
