/**
 * A local stand-in for the stores' inventory API (the demo's store-api.ts
 * calls it when BAKERY_STORE_API_URL is set). It records every push it
 * accepts with its idempotency key, so the checker can count raw pushes and
 * pushes after dedupe; a share of the calls is answered 503 before anything
 * is applied, as a flaky store would, so the queue's retries are exercised.
 */
import { createServer, type Server } from "node:http";

export interface StorePush {
  key: string;
  store: string;
  sku: string;
  delta: number;
  at: number;
}

export interface FakeStore {
  url: string;
  /** Every accepted push, duplicates included, in arrival order. */
  pushes: StorePush[];
  /** Calls answered 503 (nothing applied) and calls refused as malformed. */
  failed: number;
  malformed: number;
  close(): Promise<void>;
}

export async function startFakeStore(options: {
  port: number;
  failureRate: number;
  random: () => number;
  /** Each call takes from `min` to `max` ms (a real store is not instant: kills land mid-push). */
  latencyMs?: { min: number; max: number };
}): Promise<FakeStore> {
  const latency = options.latencyMs ?? { min: 0, max: 0 };
  const store: FakeStore = {
    url: `http://127.0.0.1:${options.port}/`,
    pushes: [],
    failed: 0,
    malformed: 0,
    close: async () => undefined,
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => void answer());
    const answer = async () => {
      const wait = latency.min + options.random() * (latency.max - latency.min);
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const key = req.headers["idempotency-key"];
      let body: { store?: unknown; sku?: unknown; delta?: unknown } = {};
      try {
        body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as typeof body;
      } catch {
        // answered 400 below
      }
      if (
        req.method !== "POST" ||
        req.url !== "/inventory" ||
        typeof key !== "string" ||
        typeof body.store !== "string" ||
        typeof body.sku !== "string" ||
        typeof body.delta !== "number"
      ) {
        store.malformed++;
        res.writeHead(400, { "content-type": "application/json" }).end('{"error":"bad push"}');
        return;
      }
      if (options.random() < options.failureRate) {
        store.failed++;
        res.writeHead(503, { "content-type": "application/json" }).end('{"error":"try later"}');
        return;
      }
      store.pushes.push({
        key,
        store: body.store,
        sku: body.sku,
        delta: body.delta,
        at: Date.now(),
      });
      res.writeHead(200, { "content-type": "application/json" }).end('{"ok":true}');
    };
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, "127.0.0.1", () => resolve());
  });
  store.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return store;
}
