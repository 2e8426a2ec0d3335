/**
 * Durable webhook ingest: HTTP POST + signature verify + insert (event and
 * its job) with synchronous_commit=on + 2xx after commit, side by side with
 * a bare node:http route that only inserts the raw body into a plain table,
 * on the same embedded Postgres (durable settings), at equal client
 * concurrency, in the same run (rounds interleaved, median reported). Also
 * the per-request baseline (group commit off: one event per statement),
 * ack latency at half the measured maximum rate, and the duplicate and
 * rejection paths.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createHmac } from "node:crypto";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { startEmbeddedPostgres } from "../src/db/index.js";
import { migrate, toolkitMigrationsDir } from "../src/migrate/index.js";
import type { Benchmark } from "./harness.js";
import { median, round, versions } from "./harness.js";
import { freePort } from "./processes.js";

interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number; average: number };
  errors: number;
  timeouts: number;
  non2xx: number;
  "2xx": number;
  "4xx": number;
}
interface AutocannonRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}
type Autocannon = (
  options: Record<string, unknown> & {
    requests?: { setupRequest: (req: AutocannonRequest) => AutocannonRequest }[];
  },
) => Promise<AutocannonResult>;
const autocannon = createRequire(import.meta.url)("autocannon") as Autocannon;

const SECRET = "bench-secret";
const HIGH_CONNECTIONS = 64;
const root = path.resolve(import.meta.dirname, "..");
const PAD = "x".repeat(1_900); // ~2 KB bodies, like the research baseline

function sign(body: string): string {
  return "sha256=" + createHmac("sha256", SECRET).update(body).digest("hex");
}

async function startServer(
  env: Record<string, string>,
): Promise<{ child: ChildProcess; base: string }> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    ["--import", "tsx", path.join(root, "bench/inbox-server.ts")],
    {
      env: { PATH: process.env.PATH, PORT: String(port), SECRET, ...env },
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  await new Promise<void>((resolve, reject) => {
    child.stdout.on("data", (d: Buffer) => d.toString().includes("ready") && resolve());
    child.once("exit", (code) => reject(new Error(`bench server exited (${code})`)));
  });
  return { child, base: `http://127.0.0.1:${port}` };
}

async function stop(child: ChildProcess): Promise<void> {
  child.removeAllListeners("exit");
  const exited = once(child, "exit");
  child.kill("SIGTERM");
  await exited;
}

let counter = 0;
type Kind = "new" | "duplicate" | "forged";

async function load(
  base: string,
  kind: Kind,
  seconds: number,
  connections: number,
  extra: Record<string, unknown> = {},
) {
  const result = await autocannon({
    url: `${base}/webhooks/gh`,
    connections,
    duration: seconds,
    ...extra,
    requests: [
      {
        setupRequest: (req) => {
          // Duplicates cycle over the first 1,000 deliveries (stored by the warm-up).
          const id = kind === "duplicate" ? `d-${counter++ % 1_000}` : `d-${counter++}`;
          const body = `{"id":"${id}","pad":"${PAD}"}`;
          return {
            ...req,
            method: "POST",
            path: "/webhooks/gh",
            body,
            headers: {
              "content-type": "application/json",
              "x-github-event": "push",
              "x-github-delivery": id,
              "x-hub-signature-256": kind === "forged" ? "sha256=" + "0".repeat(64) : sign(body),
            },
          };
        },
      },
    ],
  });
  const expected = kind === "forged" ? result["4xx"] : result["2xx"];
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    ok: expected,
    unexpected: result.requests.total - expected + result.errors + result.timeouts,
  };
}

const inbox: Benchmark = async ({ quick }) => {
  // Short interleaved rounds: on a shared box the load drifts, and a ratio
  // within one round compares cases run seconds apart.
  const seconds = quick ? 5 : 6;
  const rounds = quick ? 1 : 5;
  const connections = 16;
  const tmp = await mkdtemp(path.join(os.tmpdir(), "opskit-bench-inbox-"));
  const server = await startEmbeddedPostgres({ dataDir: path.join(tmp, "pg"), port: 55443 });
  try {
    const url = server.url;
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    const settings = (
      await admin.query<{ name: string; setting: string }>(
        "select name, setting from pg_settings where name in ('synchronous_commit', 'fsync', 'server_version')",
      )
    ).rows;
    await admin.query("create table bench_bare (id bigserial primary key, body bytea not null)");
    const migrated = await migrate({
      connectionString: url,
      sources: [{ source: "opskit", dir: toolkitMigrationsDir }],
    });
    if (migrated.error) throw new Error(migrated.error.message);

    const servers = {
      bare: await startServer({ MODE: "bare", DATABASE_URL: url }),
      inbox: await startServer({
        MODE: "inbox",
        DATABASE_URL: url,
        ...(process.env.MAX_CONCURRENT ? { MAX_CONCURRENT: process.env.MAX_CONCURRENT } : {}),
      }),
      inboxNode: await startServer({ MODE: "inbox-node", DATABASE_URL: url }),
      // Per-request writes: one event per statement, as many statements at once as the pool has.
      perRequest: await startServer({
        MODE: "inbox",
        DATABASE_URL: url,
        MAX_BATCH: "1",
        MAX_CONCURRENT: "8",
      }),
    };
    // Warm-up (JIT, connections) and the 1,000 deliveries the duplicate path re-sends.
    counter = 0;
    await autocannonWarm(servers.inbox.base);
    await load(servers.bare.base, "new", 2, connections);

    const runs: Record<string, Awaited<ReturnType<typeof load>>[]> = {
      bare: [],
      inbox: [],
      perRequest: [],
      duplicate: [],
      forged: [],
      bare64: [],
      inbox64: [],
      inboxNode: [],
      inboxNode64: [],
    };
    for (let r = 0; r < rounds; r++) {
      runs.bare!.push(await load(servers.bare.base, "new", seconds, connections));
      runs.inbox!.push(await load(servers.inbox.base, "new", seconds, connections));
      runs.inboxNode!.push(await load(servers.inboxNode.base, "new", seconds, connections));
      runs.perRequest!.push(await load(servers.perRequest.base, "new", seconds, connections));
      runs.duplicate!.push(await load(servers.inbox.base, "duplicate", seconds, connections));
      runs.forged!.push(await load(servers.inbox.base, "forged", seconds, connections));
      // A provider's burst: four times the connections (the pools stay at 8).
      runs.bare64!.push(await load(servers.bare.base, "new", seconds, HIGH_CONNECTIONS));
      runs.inbox64!.push(await load(servers.inbox.base, "new", seconds, HIGH_CONNECTIONS));
      runs.inboxNode64!.push(await load(servers.inboxNode.base, "new", seconds, HIGH_CONNECTIONS));
    }
    const med = (name: string) => {
      const list = runs[name]!;
      return {
        rps: round(median(list.map((x) => x.rps)), 0),
        p50: median(list.map((x) => x.p50)),
        p99: median(list.map((x) => x.p99)),
        unexpected: list.reduce((n, x) => n + x.unexpected, 0),
      };
    };
    const bare = med("bare");
    const ingest = med("inbox");
    // Ack latency at half the maximum: the rate a service should run at.
    const half = await load(servers.inbox.base, "new", seconds, connections, {
      overallRate: Math.max(1, Math.round(ingest.rps / 2)),
    });
    const { rows } = await admin.query<{ events: string; jobs: string; bare: string }>(
      `select (select count(*) from opskit.inbox_events) as events,
              (select count(*) from opskit.jobs) as jobs, (select count(*) from bench_bare) as bare`,
    );
    await admin.end();
    for (const s of Object.values(servers)) await stop(s.child);

    const row = (name: string, m: ReturnType<typeof med>) => ({
      case: name,
      "req/s": m.rps,
      "p50 ms": m.p50,
      "p99 ms": m.p99,
      "unexpected responses": m.unexpected,
    });
    const perRequest = med("perRequest");
    const duplicate = med("duplicate");
    const forged = med("forged");
    const bare64 = med("bare64");
    const ingest64 = med("inbox64");
    const node16 = med("inboxNode");
    const node64 = med("inboxNode64");
    return {
      table: [
        row("bare route (insert raw body)", bare),
        row("opskit inbox (verify + event + job, group commit)", ingest),
        row("opskit inbox via nodeHandler on node:http (no Hono)", node16),
        row("opskit inbox, group commit off (1 event/statement)", perRequest),
        row(`opskit inbox at 50% rate (${Math.round(ingest.rps / 2)}/s)`, {
          rps: round(half.rps, 0),
          p50: half.p50,
          p99: half.p99,
          unexpected: half.unexpected,
        }),
        row("duplicate path (already stored)", duplicate),
        row("rejection path (bad signature, 401)", forged),
        row(`bare route, ${HIGH_CONNECTIONS} connections`, bare64),
        row(`opskit inbox, ${HIGH_CONNECTIONS} connections`, ingest64),
        row(`opskit inbox via nodeHandler, ${HIGH_CONNECTIONS} connections`, node64),
      ],
      figures: {
        seconds,
        rounds,
        // The box is shared: a high load average means contended numbers.
        load_average_at_end: os.loadavg().map((n) => round(n)),
        connections,
        body_bytes: `{"id":"d-0","pad":""}`.length + PAD.length,
        postgres: Object.fromEntries(settings.map((s) => [s.name, s.setting])),
        runs,
        half_rate: half,
        rows: {
          events: Number(rows[0]!.events),
          jobs: Number(rows[0]!.jobs),
          bare: Number(rows[0]!.bare),
        },
      },
      ratios: {
        ingest_vs_bare: round(ingest.rps / bare.rps),
        // The median of each round's own ratio: robust to load drifting between rounds.
        ingest_vs_bare_per_round_median: round(
          median(runs.inbox!.map((x, i) => x.rps / runs.bare![i]!.rps)),
        ),
        group_commit_off_vs_bare: round(perRequest.rps / bare.rps),
        group_commit_gain: round(ingest.rps / perRequest.rps),
        duplicate_vs_ingest: round(duplicate.rps / ingest.rps),
        rejection_vs_ingest: round(forged.rps / ingest.rps),
        ingest_node_handler_vs_bare: round(node16.rps / bare.rps),
        ingest_vs_bare_64_connections: round(ingest64.rps / bare64.rps),
        ingest_node_handler_vs_bare_64_connections: round(node64.rps / bare64.rps),
        ingest_vs_bare_64_connections_per_round_median: round(
          median(runs.inbox64!.map((x, i) => x.rps / runs.bare64![i]!.rps)),
        ),
      },
      versions: {
        ...versions(["pg", "hono", "@hono/node-server", "autocannon"]),
        postgres: settings.find((s) => s.name === "server_version")?.setting ?? "?",
      },
    };
  } finally {
    await server.stop();
    await rm(tmp, { recursive: true, force: true });
  }
};

async function autocannonWarm(base: string): Promise<void> {
  await load(base, "new", 2, 16, { amount: 1_500 });
}

export default inbox;
