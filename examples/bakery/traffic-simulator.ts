import { createHmac, randomUUID } from "node:crypto";
import type { Logger } from "opskit/log";

export type SimulatedKind = "order" | "duplicate" | "retry" | "forged";

export interface TrafficSimulatorOptions {
  /** The service's base URL. */
  url: string;
  /** Each store's domain and the secret it signs with. */
  stores: { domain: string; secret: string }[];
  intervalMs: number;
  log: Logger;
}

export interface TrafficSimulator {
  /** Sends one webhook of the given kind now; resolves with the HTTP status. */
  send(kind: SimulatedKind): Promise<number>;
  stop(): void;
}

const SKUS = ["croissant", "baguette", "pain-au-chocolat", "eclair", "macaron", "brioche"];

interface Delivery {
  body: string;
  headers: Record<string, string>;
}

/**
 * Signs and posts Shopify-style `orders/create` webhooks to the demo's own
 * inbox, as the two stores would: mostly new orders, and now and then a
 * duplicate delivery (the same webhook id again), a retry (Shopify's: the
 * same delivery after a while), and a forged one (a wrong secret, answered
 * 401). So a newcomer sees work flowing within seconds.
 */
export function startTrafficSimulator(options: TrafficSimulatorOptions): TrafficSimulator {
  const log = options.log.child({ category: "simulator" });
  const sent: Delivery[] = [];
  let orderNumber = 1000 + Math.floor(Math.random() * 1000);

  const newDelivery = (forged: boolean): Delivery => {
    const store = options.stores[orderNumber % options.stores.length]!;
    orderNumber++;
    const lines = 1 + (orderNumber % 3);
    const body = JSON.stringify({
      id: 5_000_000_000 + orderNumber,
      name: `#${orderNumber}`,
      email: `customer${orderNumber}@example.com`,
      created_at: new Date().toISOString(),
      customer: {
        first_name: ["Ada", "Grace", "Alan", "Edsger"][orderNumber % 4],
        last_name: "Baker",
      },
      line_items: Array.from({ length: lines }, (_, i) => ({
        sku: SKUS[(orderNumber + i) % SKUS.length],
        quantity: 1 + ((orderNumber + i) % 12),
      })),
    });
    const secret = forged ? "not-the-store-secret" : store.secret;
    return {
      body,
      headers: {
        "content-type": "application/json",
        "x-shopify-topic": "orders/create",
        "x-shopify-shop-domain": store.domain,
        "x-shopify-webhook-id": randomUUID(),
        "x-shopify-event-id": randomUUID(),
        "x-shopify-triggered-at": new Date().toISOString(),
        "x-shopify-api-version": "2025-07",
        "x-shopify-hmac-sha256": createHmac("sha256", secret).update(body).digest("base64"),
      },
    };
  };

  const post = async (delivery: Delivery): Promise<number> => {
    const res = await fetch(`${options.url}/webhooks/shopify`, {
      method: "POST",
      body: delivery.body,
      headers: delivery.headers,
      signal: AbortSignal.timeout(10_000),
    });
    await res.arrayBuffer();
    return res.status;
  };

  const send = async (kind: SimulatedKind): Promise<number> => {
    // A duplicate re-sends any recent delivery; a retry, the latest one (as if its answer was lost).
    const earlier = kind === "retry" ? sent.at(-1) : sent[Math.floor(Math.random() * sent.length)];
    let delivery: Delivery;
    if ((kind === "duplicate" || kind === "retry") && earlier) delivery = earlier;
    else delivery = newDelivery(kind === "forged");
    if (kind === "order") {
      sent.push(delivery);
      if (sent.length > 50) sent.shift();
    }
    const status = await post(delivery);
    log.debug(
      { kind, status, webhook_id: delivery.headers["x-shopify-webhook-id"] },
      "simulated webhook",
    );
    return status;
  };

  const tick = () => {
    const roll = Math.random();
    const kind: SimulatedKind =
      roll < 0.1 ? "duplicate" : roll < 0.15 ? "retry" : roll < 0.2 ? "forged" : "order";
    send(kind).catch((error: unknown) =>
      log.debug({ err: error }, "simulated webhook not delivered"),
    );
  };
  const timer = setInterval(tick, options.intervalMs);
  timer.unref();
  log.info(
    { every_ms: options.intervalMs },
    "traffic simulator started (BAKERY_TRAFFIC_SIMULATOR=false to stop it)",
  );
  return { send, stop: () => clearInterval(timer) };
}
