/**
 * Probe latency under load: `/livez` and cached `/readyz` p99 while
 * autocannon saturates a database-backed route (`GET /api/orders`) of the
 * same process, for the opskit demo and for a bare node:http + pg server
 * serving the same query and a hand-written probe (the anchor). Also the
 * saturating route's own throughput, to show what opskit's middleware costs.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import http from "node:http";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { startEmbeddedPostgres } from "../src/db/index.js";
import type { Benchmark } from "./harness.js";
import { percentile, round, versions } from "./harness.js";
import { freePort, processExit, startProcess, stopProcess, waitFor200 } from "./processes.js";

// The exact statement and parameters the demo's GET /api/orders runs (listOrders), so the
// two servers do the same database work and the difference is the HTTP stack.
const LIST_SQL = `select * from orders
      where ($1::text is null or stage = $1) and ($2::bigint is null or id < $2)
      order by id desc limit $3`;
const LIST_PARAMS = [null, null, 20];
const BARE_SERVER = `
const http = require("node:http");
const pg = require("pg");
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
let ready = true;
setInterval(() => pool.query("select 1").then(() => (ready = true), () => (ready = false)), 1000).unref();
http.createServer((req, res) => {
  if (req.url === "/livez") return res.end('{"status":"pass"}');
  if (req.url === "/readyz") { res.statusCode = ready ? 200 : 503; return res.end(JSON.stringify({ ready })); }
  pool.query(${JSON.stringify(LIST_SQL)}, ${JSON.stringify(LIST_PARAMS)}).then(
    (r) => { res.setHeader("content-type", "application/json"); res.end(JSON.stringify({ orders: r.rows })); },
    () => { res.statusCode = 503; res.end(); });
}).listen(Number(process.env.PORT), "127.0.0.1");
`;

interface ProbeStats {
  n: number;
  p50: number;
  p99: number;
  max: number;
}

async function probeLoop(
  url: string,
  until: () => boolean,
  intervalMs: number,
): Promise<ProbeStats> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const samples: number[] = [];
  while (!until()) {
    const t = performance.now();
    await new Promise<void>((resolve, reject) => {
      http
        .get(url, { agent }, (res) => {
          res.resume();
          res.on("end", () =>
            res.statusCode === 200 ? resolve() : reject(new Error(`${url}: ${res.statusCode}`)),
          );
        })
        .on("error", reject);
    });
    samples.push(performance.now() - t);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  agent.destroy();
  samples.sort((a, b) => a - b);
  return {
    n: samples.length,
    p50: round(percentile(samples, 50)),
    p99: round(percentile(samples, 99)),
    max: round(samples.at(-1) ?? NaN),
  };
}

async function autocannon(
  url: string,
  seconds: number,
  connections: number,
): Promise<{ rps: number; p99: number; errors: number; non2xx: number }> {
  const child = spawn(
    process.execPath,
    [
      "node_modules/autocannon/autocannon.js",
      "--json",
      "-c",
      String(connections),
      "-d",
      String(seconds),
      url,
    ],
    {
      stdio: ["ignore", "pipe", "ignore"],
    },
  );
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  await once(child, "exit");
  const r = JSON.parse(out) as {
    requests: { average: number };
    latency: { p99: number };
    errors: number;
    non2xx: number;
  };
  return { rps: r.requests.average, p99: r.latency.p99, errors: r.errors, non2xx: r.non2xx };
}

async function runCase(args: string[], env: Record<string, string>, seconds: number) {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const child = startProcess(args, { ...env, PORT: String(port), HOST: "127.0.0.1" });
  await waitFor200(`${base}/readyz`, performance.now());
  let done = false;
  const load = autocannon(`${base}/api/orders`, seconds, 32).finally(() => (done = true));
  const [livez, readyz, route] = await Promise.all([
    probeLoop(`${base}/livez`, () => done, 50),
    probeLoop(`${base}/readyz`, () => done, 50),
    load,
  ]);
  await stopProcess(child);
  return { livez, readyz, route };
}

const probes: Benchmark = async ({ quick }) => {
  const seconds = quick ? 8 : 20;
  const tmp = await mkdtemp(path.join(os.tmpdir(), "opskit-bench-probes-"));
  try {
    const server = await startEmbeddedPostgres({ dataDir: path.join(tmp, "pg"), port: 55433 });
    const url = server.urlFor("postgres");
    const env = { DATABASE_URL: url, NODE_ENV: "development", LOG_LEVEL: "warn" };
    // Migrate and seed through the demo itself (role migrate), then 1,000 orders.
    const migrated = await processExit(
      startProcess(["dist/examples/bakery/main.js"], { ...env, OPSKIT_ROLE: "migrate" }),
    );
    if (migrated !== 0) throw new Error("demo migrate role failed");
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query(
      `insert into orders (store, customer, items) select 'north.myshopify.com', 'c' || g, '[{"sku":"bun","quantity":2}]' from generate_series(1, 1000) g`,
    );
    await client.end();

    const bare = await runCase(["-e", BARE_SERVER], env, seconds);
    const opskit = await runCase(
      ["dist/examples/bakery/main.js"],
      { ...env, OPSKIT_ROLE: "api" },
      seconds,
    );
    await server.stop();

    const row = (name: string, r: typeof bare) => ({
      server: name,
      "livez p50 ms": r.livez.p50,
      "livez p99 ms": r.livez.p99,
      "readyz p50 ms": r.readyz.p50,
      "readyz p99 ms": r.readyz.p99,
      "load route req/s": round(r.route.rps, 0),
      "load route p99 ms": r.route.p99,
      "load errors": r.route.errors + r.route.non2xx,
    });
    return {
      table: [row("bare node:http + pg", bare), row("opskit demo (role api)", opskit)],
      figures: { seconds, connections: 32, probe_interval_ms: 50, bare, opskit },
      ratios: {
        livez_p99_opskit_vs_bare: round(opskit.livez.p99 / bare.livez.p99),
        readyz_p99_opskit_vs_bare: round(opskit.readyz.p99 / bare.readyz.p99),
        route_rps_opskit_vs_bare: round(opskit.route.rps / bare.route.rps),
      },
      versions: versions(["hono", "@hono/node-server", "pg", "autocannon"]),
    };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
};

export default probes;
