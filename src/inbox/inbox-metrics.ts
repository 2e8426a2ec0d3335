import { Counter, Histogram, type Registry } from "prom-client";

/** What became of one webhook request. */
export type RequestOutcome =
  | "stored"
  | "duplicate"
  | "rejected"
  | "unverified"
  | "too_large"
  | "unknown_source"
  | "busy"
  | "unavailable";

export interface InboxMetrics {
  request(source: string, outcome: RequestOutcome): void;
  unverified(source: string, reason: string): void;
  processed(source: string, outcome: "processed" | "failed" | "dead"): void;
  storeSeconds(seconds: number): void;
  batchSize(size: number): void;
}

/** The inbox's counters, on the service's registry (or none). */
export function createInboxMetrics(registry: Registry | undefined): InboxMetrics {
  if (!registry) {
    return {
      request: () => undefined,
      unverified: () => undefined,
      processed: () => undefined,
      storeSeconds: () => undefined,
      batchSize: () => undefined,
    };
  }
  const requests = new Counter({
    name: "opskit_inbox_requests_total",
    help: "Webhook requests by source and outcome (stored, duplicate, rejected, unverified, too_large, unknown_source, busy, unavailable).",
    labelNames: ["source", "outcome"],
    registers: [registry],
  });
  const unverified = new Counter({
    name: "opskit_inbox_unverified_total",
    help: "Webhook requests refused by verification, by source and reason.",
    labelNames: ["source", "reason"],
    registers: [registry],
  });
  const processed = new Counter({
    name: "opskit_inbox_processing_total",
    help: "Inbox event processing attempts by source and outcome (processed, failed, dead).",
    labelNames: ["source", "outcome"],
    registers: [registry],
  });
  const store = new Histogram({
    name: "opskit_inbox_store_duration_seconds",
    help: "From a verified request to its commit (the wait before the acknowledgement).",
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const batch = new Histogram({
    name: "opskit_inbox_commit_batch_events",
    help: "Events written per commit (group commit under concurrency).",
    buckets: [1, 2, 4, 8, 16, 32, 64, 128],
    registers: [registry],
  });
  return {
    request: (source, outcome) => requests.inc({ source, outcome }),
    unverified: (source, reason) => unverified.inc({ source, reason }),
    processed: (source, outcome) => processed.inc({ source, outcome }),
    storeSeconds: (seconds) => store.observe(seconds),
    batchSize: (size) => batch.observe(size),
  };
}
