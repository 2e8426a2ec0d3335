/**
 * The outbox, on one embedded Postgres (durable settings), in one run:
 *
 * 1. publish: `publishEvent(tx, …)` inside a transaction (begin, publish,
 *    commit) against the anchor, a bare insert of the same row into a table
 *    of the same columns and indexes without the outbox's trigger
 *    (`bench_bare`), in the same kind of transaction (no validation, no NOTIFY);
 *    rounds interleaved, median of per-round means, at 1 and 8 clients.
 * 2. relay throughput: events relayed per second (read in commit order,
 *    one delivery per consumer, one job per line) for a backlog, with one
 *    handler and one endpoint as consumers.
 * 3. commit → delivery latency to a local webhook receiver (node:http):
 *    events published at a steady rate while the relay and a worker run,
 *    p50/p99 from each commit's return to the receiver's arrival; with the
 *    relay woken by NOTIFY (default) and by polling alone (every 100 ms).
 */
import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createPool, startEmbeddedPostgres, type Pool } from "../src/db/index.js";
import { migrate, toolkitMigrationsDir } from "../src/migrate/index.js";
import { createOutbox, defineOutboxHandler, publishEvent } from "../src/outbox/index.js";
import type { Benchmark } from "./harness.js";
import { deliveryLatency, type DeliveryLatency } from "./outbox-delivery.js";
import { median, round } from "./harness.js";

const PORT = 55_546; // this helper's range (55445 + 100 …)

async function timeTx(pool: Pool, n: number, clients: number, bare: boolean): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      const client = await pool.connect();
      try {
        while (next++ < n) {
          await client.query("begin");
          if (bare) {
            await client.query(
              `insert into bench_bare (id, aggregatetype, aggregateid, type, payload, headers)
               values ($1, $2, $3, $4, $5, $6)`,
              [
                randomUUID(),
                "order",
                String(next % 100),
                "order.created",
                '{"n":1,"s":"abc"}',
                null,
              ],
            );
          } else {
            await publishEvent(client, {
              aggregateType: "order",
              aggregateId: String(next % 100),
              type: "order.created",
              payload: { n: 1, s: "abc" },
            });
          }
          await client.query("commit");
        }
      } finally {
        client.release();
      }
    }),
  );
  return ((performance.now() - started) * 1000) / n; // µs per transaction
}

async function latency(
  pool: Pool,
  mode: "notify" | "poll",
  events: number,
  ratePerSecond: number,
): Promise<DeliveryLatency> {
  await pool.query("truncate opskit.outbox, opskit.outbox_deliveries, opskit.outbox_endpoints");
  const outbox = createOutbox({ pool, pollIntervalMs: mode === "poll" ? 100 : 1_000 });
  return deliveryLatency(pool, {
    outbox,
    startRelay: async () => {
      await outbox.relayOnce(); // start from a caught-up cursor
      return outbox.startRelay({ listen: mode === "notify" });
    },
    events,
    ratePerSecond,
    deadlineMs: 60_000,
  });
}

const bench: Benchmark = async ({ quick }) => {
  const tmp = await mkdtemp(path.join(os.tmpdir(), "bench-outbox-"));
  const server = await startEmbeddedPostgres({ dataDir: path.join(tmp, "pg"), port: PORT });
  const pool = createPool({ connectionString: server.url, max: 24 });
  try {
    const migrated = await migrate({
      connectionString: server.url,
      sources: [{ source: "opskit", dir: toolkitMigrationsDir }],
    });
    if (migrated.error) throw new Error(migrated.error.message);
    await pool.query(
      "create table bench_bare (like opskit.outbox including defaults including identity including indexes)",
    );
    const { rows: settings } = await pool.query<{ name: string; setting: string }>(
      "select name, setting from pg_settings where name in ('synchronous_commit', 'fsync', 'server_version')",
    );

    // 1. publish vs bare insert, interleaved rounds.
    const rounds = quick ? 3 : 7;
    const perRound = quick ? 300 : 1_000;
    const publish: Record<string, { bare: number[]; publish: number[] }> = {
      "1": { bare: [], publish: [] },
      "8": { bare: [], publish: [] },
    };
    for (let r = 0; r < rounds; r++) {
      for (const clients of [1, 8]) {
        const order = r % 2 === 0 ? [true, false] : [false, true];
        for (const bare of order) {
          const us = await timeTx(pool, perRound, clients, bare);
          publish[String(clients)]![bare ? "bare" : "publish"].push(us);
        }
      }
      await pool.query("truncate opskit.outbox, bench_bare");
    }
    const pub = (c: string) => ({
      bare: median(publish[c]!.bare),
      publish: median(publish[c]!.publish),
    });

    // 2. relay throughput over a backlog.
    const backlog = quick ? 5_000 : 20_000;
    await pool.query("truncate opskit.outbox, opskit.outbox_deliveries");
    await pool.query(
      "update opskit.outbox_relay set done_snapshot = pg_current_snapshot(), round_snapshot = null, after_position = 0",
    );
    const outbox = createOutbox({
      pool,
      handlers: [defineOutboxHandler({ name: "noop", handle: () => undefined })],
    });
    await outbox.admin.upsertEndpoint({
      name: "throughput",
      url: "http://127.0.0.1:9/unused",
      secret: `whsec_${Buffer.alloc(32, 9).toString("base64")}`,
    });
    await pool.query(
      `insert into opskit.outbox (id, aggregatetype, aggregateid, type, payload)
       select gen_random_uuid(), 'order', (g % 500)::text, 'order.created', jsonb_build_object('g', g)
         from generate_series(1, $1) g`,
      [backlog],
    );
    const t0 = performance.now();
    const relayed = await outbox.relayOnce();
    const relaySeconds = (performance.now() - t0) / 1000;
    await pool.query("delete from opskit.jobs where task = 'opskit.outbox-deliver'");

    // 3. commit → delivery latency.
    const events = quick ? 200 : 1_000;
    const rate = 100;
    const notify = await latency(pool, "notify", events, rate);
    const poll = await latency(pool, "poll", events, rate);

    const figures = {
      postgres: Object.fromEntries(settings.map((s) => [s.name, s.setting])),
      publish_us_per_tx: { clients_1: pub("1"), clients_8: pub("8") },
      publish_rounds: publish,
      relay: {
        backlog,
        relayed,
        seconds: round(relaySeconds, 3),
        events_per_second: round(relayed / relaySeconds, 0),
        consumers: 2,
      },
      latency_ms: {
        rate_per_second: rate,
        events,
        notify: { p50: round(notify.p50, 1), p99: round(notify.p99, 1), n: notify.delivered },
        poll_100ms: { p50: round(poll.p50, 1), p99: round(poll.p99, 1), n: poll.delivered },
      },
    };
    return {
      figures,
      ratios: {
        publish_vs_bare_insert_1_client: round(pub("1").publish / pub("1").bare, 3),
        publish_vs_bare_insert_8_clients: round(pub("8").publish / pub("8").bare, 3),
      },
      table: [
        { what: "bare insert tx, 1 client (µs/tx)", value: round(pub("1").bare, 0) },
        { what: "publish tx, 1 client (µs/tx)", value: round(pub("1").publish, 0) },
        { what: "bare insert tx, 8 clients (µs/tx)", value: round(pub("8").bare, 0) },
        { what: "publish tx, 8 clients (µs/tx)", value: round(pub("8").publish, 0) },
        {
          what: `relay: ${relayed} events, 2 consumers (events/s)`,
          value: round(relayed / relaySeconds, 0),
        },
        { what: "commit→delivery p50, NOTIFY (ms)", value: round(notify.p50, 1) },
        { what: "commit→delivery p99, NOTIFY (ms)", value: round(notify.p99, 1) },
        { what: "commit→delivery p50, poll 100 ms (ms)", value: round(poll.p50, 1) },
        { what: "commit→delivery p99, poll 100 ms (ms)", value: round(poll.p99, 1) },
      ],
    };
  } finally {
    await pool.end();
    await server.stop();
    await rm(tmp, { recursive: true, force: true });
  }
};
export default bench;
