/**
 * The soak's load generator: signed Shopify `orders/create` webhooks and API
 * calls (creates with an externalId, reads) against the api processes, at a
 * steady rate. Every request is one JSON line in the log with its outcome,
 * so the checker can tell acknowledged from not. A request that was not
 * acknowledged (refused, timed out, connection cut by a restart) is retried
 * later with the same delivery id or externalId, as Shopify and a careful
 * client do; a share of acknowledged webhooks is delivered again on purpose.
 */
import { createHmac } from "node:crypto";
import { createWriteStream } from "node:fs";
import { SignJWT } from "jose";

export type LoadKind = "webhook" | "api-create" | "api-read";

/** One line of the load log. */
export interface LoadRecord {
  /** ms since the epoch when the request was sent. */
  t: number;
  kind: LoadKind;
  /** The webhook's delivery id, or the API create's externalId. */
  key?: string;
  store?: string;
  /** The Shopify order id (webhooks) or the externalId (API creates). */
  externalId?: string;
  /** Delivery number of this key: 1 the first time, 2+ for retries and duplicates. */
  delivery: number;
  target: string;
  status: number | null;
  acked: boolean;
  ms: number;
  error?: string;
}

interface Pending {
  kind: "webhook" | "api-create";
  key: string;
  store: string;
  externalId: string;
  body: string;
  deliveries: number;
}

export interface LoadOptions {
  targets: () => string[];
  stores: { domain: string; secret: string }[];
  jwtSecret: string;
  ratePerSecond: number;
  concurrency: number;
  logPath: string;
  random: () => number;
  requestTimeoutMs?: number;
}

export interface LoadHandle {
  /** Stops sending new requests and waits for those in flight. */
  stop(): Promise<void>;
  /** Sends every not-yet-acknowledged request again until each is acknowledged (or `timeoutMs`). */
  settle(timeoutMs: number): Promise<{ unacked: number }>;
  /** Closes the log. */
  close(): Promise<void>;
  sent(): number;
}

const SKUS = ["croissant", "eclair", "baguette", "brioche", "macaron", "tarte", "madeleine"];

export async function startLoad(options: LoadOptions): Promise<LoadHandle> {
  const log = createWriteStream(options.logPath, { flags: "a" });
  const token = await new SignJWT({ roles: ["manager"] })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject("soak-load")
    .setIssuedAt()
    .setExpirationTime("24h")
    .sign(new TextEncoder().encode(options.jwtSecret));
  const random = options.random;
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const timeoutMs = options.requestTimeoutMs ?? 15_000;
  const unacked = new Map<string, Pending>();
  const acked: Pending[] = [];
  let sequence = 0;
  let sent = 0;
  let stopped = false;

  const write = (record: LoadRecord) => {
    sent++;
    log.write(JSON.stringify(record) + "\n");
  };

  async function send(p: Pending): Promise<void> {
    p.deliveries++;
    const target = pick(options.targets());
    const started = Date.now();
    let status: number | null = null;
    let error: string | undefined;
    try {
      const res =
        p.kind === "webhook"
          ? await fetch(`${target}/webhooks/shopify`, {
              method: "POST",
              body: p.body,
              headers: {
                "content-type": "application/json",
                "x-shopify-topic": "orders/create",
                "x-shopify-shop-domain": p.store,
                "x-shopify-webhook-id": p.key,
                "x-shopify-hmac-sha256": createHmac(
                  "sha256",
                  options.stores.find((s) => s.domain === p.store)!.secret,
                )
                  .update(p.body)
                  .digest("base64"),
              },
              signal: AbortSignal.timeout(timeoutMs),
            })
          : await fetch(`${target}/api/orders`, {
              method: "POST",
              body: p.body,
              headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
              signal: AbortSignal.timeout(timeoutMs),
            });
      await res.arrayBuffer();
      status = res.status;
    } catch (thrown) {
      error = thrown instanceof Error ? `${thrown.name}: ${thrown.message}` : String(thrown);
    }
    const ok = status !== null && status >= 200 && status < 300;
    write({
      t: started,
      kind: p.kind,
      key: p.key,
      store: p.store,
      externalId: p.externalId,
      delivery: p.deliveries,
      target,
      status,
      acked: ok,
      ms: Date.now() - started,
      ...(error ? { error } : {}),
    });
    if (ok) {
      if (unacked.delete(p.key) || p.deliveries === 1) acked.push(p);
    } else {
      unacked.set(p.key, p);
    }
  }

  function newWebhook(): Pending {
    const n = ++sequence;
    const store = pick(options.stores).domain;
    // 19 digits, past 2^53: the order id must be kept exactly as sent.
    const externalId = `82098291${String(n).padStart(11, "0")}`;
    const items = Array.from({ length: 1 + Math.floor(random() * 3) }, (_, i) => ({
      sku: SKUS[(n + i * 3) % SKUS.length]!,
      quantity: 1 + Math.floor(random() * 24),
    }));
    const body = JSON.stringify({
      id: "@ID@",
      email: `customer-${n}@example.com`,
      customer: { first_name: "Soak", last_name: String(n) },
      line_items: items,
    }).replace('"@ID@"', externalId);
    return { kind: "webhook", key: `soak-wh-${n}`, store, externalId, body, deliveries: 0 };
  }

  function newApiOrder(): Pending {
    const n = ++sequence;
    const store = pick(options.stores).domain;
    const externalId = `soak-api-${n}`;
    const body = JSON.stringify({
      store,
      externalId,
      customer: `Soak ${n}`,
      items: [{ sku: pick(SKUS), quantity: 1 + Math.floor(random() * 24) }],
    });
    return { kind: "api-create", key: externalId, store, externalId, body, deliveries: 0 };
  }

  async function read(): Promise<void> {
    const target = pick(options.targets());
    const started = Date.now();
    let status: number | null = null;
    let error: string | undefined;
    try {
      const res = await fetch(`${target}/api/orders?limit=20`, {
        signal: AbortSignal.timeout(timeoutMs),
      });
      await res.arrayBuffer();
      status = res.status;
    } catch (thrown) {
      error = thrown instanceof Error ? `${thrown.name}: ${thrown.message}` : String(thrown);
    }
    write({
      t: started,
      kind: "api-read",
      delivery: 1,
      target,
      status,
      acked: status === 200,
      ms: Date.now() - started,
      ...(error ? { error } : {}),
    });
  }

  async function step(): Promise<void> {
    const roll = random();
    if (roll < 0.1 && unacked.size > 0) {
      // A provider's retry of a delivery that was not acknowledged.
      return send(unacked.values().next().value!);
    }
    if (roll < 0.15 && acked.length > 0) {
      // A duplicate delivery of one already acknowledged (must change nothing).
      const again = pick(acked);
      if (again.kind === "webhook") return send({ ...again });
    }
    if (roll < 0.7) return send(newWebhook());
    if (roll < 0.88) return send(newApiOrder());
    return read();
  }

  const interval = (1000 * options.concurrency) / options.ratePerSecond;
  const loops = Array.from({ length: options.concurrency }, async (_, i) => {
    await new Promise((r) => setTimeout(r, (interval * i) / options.concurrency));
    while (!stopped) {
      const started = Date.now();
      await step();
      const wait = interval - (Date.now() - started);
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
  });

  return {
    sent: () => sent,
    async stop() {
      stopped = true;
      await Promise.all(loops);
    },
    async settle(settleTimeoutMs) {
      const deadline = Date.now() + settleTimeoutMs;
      while (unacked.size > 0 && Date.now() < deadline) {
        for (const p of [...unacked.values()]) await send(p);
        if (unacked.size > 0) await new Promise((r) => setTimeout(r, 1000));
      }
      return { unacked: unacked.size };
    },
    close: () => new Promise<void>((resolve) => log.end(() => resolve())),
  };
}

export async function readLoadLog(file: string): Promise<LoadRecord[]> {
  const { readFile } = await import("node:fs/promises");
  const text = await readFile(file, "utf8");
  return text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as LoadRecord);
}
