/**
 * Commit → delivery latency of the outbox's signed webhooks, shared by
 * bench/outbox.ts (NOTIFY vs polling) and bench/outbox-relay-modes.ts (the
 * relay's sources side by side): events published one per transaction at a
 * steady rate while the relay and a worker (8 slots) run; p50/p99 from each
 * commit's return to the arrival of its POST at a local receiver (node:http,
 * one process, one clock).
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { withTransaction, type Pool } from "../src/db/index.js";
import { createQueue } from "../src/jobs/index.js";
import { publishEvent, type createOutbox } from "../src/outbox/index.js";
import { percentile } from "./harness.js";

/** A webhook receiver that reports each POST's `webhook-id` and arrival time. */
export function startTimedReceiver(onEvent: (id: string, at: number) => void) {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      onEvent(String(req.headers["webhook-id"]), performance.now());
      res.writeHead(204).end();
    });
  });
  return new Promise<{ url: string; close: () => Promise<void> }>((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        close: () =>
          new Promise<void>((r) => {
            server.closeAllConnections();
            server.close(() => r());
          }),
      }),
    ),
  );
}

export interface DeliveryLatency {
  p50: number;
  p99: number;
  /** Events whose POST arrived before the deadline (all of them when it is `events`). */
  delivered: number;
}

/**
 * Publishes `events` at `ratePerSecond` through `outbox` (an endpoint is
 * added for the receiver) with the relay `startRelay` starts, and waits up
 * to `deadlineMs` for their deliveries.
 */
export async function deliveryLatency(
  pool: Pool,
  o: {
    outbox: ReturnType<typeof createOutbox>;
    startRelay: () => Promise<{ stop(): Promise<void> }>;
    events: number;
    ratePerSecond: number;
    deadlineMs: number;
  },
): Promise<DeliveryLatency> {
  const committed = new Map<string, number>();
  const latencies: number[] = [];
  const receiver = await startTimedReceiver((id, at) => {
    const c = committed.get(id);
    if (c !== undefined && latencies.length < o.events) latencies.push(at - c);
  });
  await o.outbox.admin.upsertEndpoint({
    name: "bench",
    url: receiver.url,
    secret: `whsec_${Buffer.alloc(32, 7).toString("base64")}`,
  });
  const queue = createQueue({ pool, tasks: [...o.outbox.tasks] });
  const relay = await o.startRelay();
  const worker = queue.work({ concurrency: 8, pollIntervalMs: 100 });
  try {
    for (let i = 0; i < o.events; i++) {
      const t0 = performance.now();
      const id = await withTransaction(pool, (tx) =>
        publishEvent(tx, {
          aggregateType: "order",
          aggregateId: String(i % 50),
          type: "order.created",
          payload: { i },
        }),
      );
      committed.set(id, performance.now());
      const wait = 1000 / o.ratePerSecond - (performance.now() - t0);
      if (wait > 0) await sleep(wait);
    }
    const deadline = Date.now() + o.deadlineMs;
    while (latencies.length < o.events && Date.now() < deadline) await sleep(50);
  } finally {
    await relay.stop();
    await worker.stop();
    await receiver.close();
  }
  const sorted = [...latencies].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), delivered: sorted.length };
}
