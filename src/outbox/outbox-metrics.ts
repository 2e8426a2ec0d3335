import { Counter, Gauge, type Registry } from "prom-client";
import type { Pool } from "../db/index.js";
import { createOutboxAdmin } from "./outbox-admin.js";

export interface OutboxMetrics {
  /** Events the relay read (each committed event once). */
  published(count: number): void;
  delivered(consumer: string): void;
  failed(consumer: string, outcome: "failed" | "dead"): void;
}

/** The outbox's metrics, on the service's registry (or none). */
export function createOutboxMetrics(registry: Registry | undefined, pool: Pool): OutboxMetrics {
  if (!registry) {
    return { published: () => undefined, delivered: () => undefined, failed: () => undefined };
  }
  const published = new Counter({
    name: "opskit_outbox_published_total",
    help: "Committed outbox events relayed (each event once, whichever process relayed it).",
    registers: [registry],
  });
  const delivered = new Counter({
    name: "opskit_outbox_delivered_total",
    help: "Outbox deliveries acknowledged, by consumer (handler:<name> or endpoint:<name>).",
    labelNames: ["consumer"],
    registers: [registry],
  });
  const failed = new Counter({
    name: "opskit_outbox_failed_total",
    help: "Failed outbox delivery attempts by consumer and outcome (failed: will retry; dead: gave up).",
    labelNames: ["consumer", "outcome"],
    registers: [registry],
  });
  const admin = createOutboxAdmin(pool);
  new Gauge({
    name: "opskit_outbox_lag_seconds",
    help: "Age of the oldest event not yet delivered, by stage (relay: committed, not relayed; delivery: relayed, not delivered).",
    labelNames: ["stage"],
    registers: [registry],
    async collect() {
      try {
        const lag = await admin.lag();
        this.set({ stage: "relay" }, lag.relaySeconds);
        this.set({ stage: "delivery" }, lag.deliverySeconds);
      } catch {
        // A scrape while the database is away keeps the last values.
      }
    },
  });
  return {
    published: (count) => published.inc(count),
    delivered: (consumer) => delivered.inc({ consumer }),
    failed: (consumer, outcome) => failed.inc({ consumer, outcome }),
  };
}
