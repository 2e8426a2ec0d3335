/** Helpers for inbox tests: a verified event as the route hands it to the writer. */
import type { NewInboxEvent } from "../src/inbox/sql/store-inbox-events.js";

export function newInboxEvent(key: string, extra: Partial<NewInboxEvent> = {}): NewInboxEvent {
  return {
    source: "gh",
    dedupeKey: key,
    topic: "push",
    orderingKey: null,
    status: "pending",
    rejectReason: null,
    headers: { "x-github-delivery": key },
    body: Buffer.from(`{"k":"${key}"}`),
    secretIndex: 0,
    signedAt: null,
    ...extra,
  };
}
