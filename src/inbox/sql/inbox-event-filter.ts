import { OpskitError } from "../../errors.js";

export const EVENT_STATUSES = ["pending", "failed", "processed", "dead", "rejected"] as const;
export type InboxEventStatus = (typeof EVENT_STATUSES)[number];

/** Which events a list or a replay covers; every field narrows. */
export interface InboxEventFilter {
  source?: string | undefined;
  topic?: string | undefined;
  status?: InboxEventStatus | undefined;
  /** Received at or after. */
  since?: Date | undefined;
  /** Received before. */
  until?: Date | undefined;
  dedupeKey?: string | undefined;
}

/**
 * The WHERE clause of a filter over `opskit.inbox_events` aliased `e`, with
 * its parameters numbered from `first`.
 */
export function filterSql(
  filter: InboxEventFilter,
  first = 1,
): { where: string; values: unknown[] } {
  if (filter.status !== undefined && !EVENT_STATUSES.includes(filter.status)) {
    throw new OpskitError(
      "BAD_REQUEST",
      `Unknown event status "${String(filter.status)}"; use one of ${EVENT_STATUSES.join(", ")}.`,
    );
  }
  const clauses: string[] = [];
  const values: unknown[] = [];
  const add = (sql: string, value: unknown) => {
    values.push(value);
    clauses.push(sql.replace("?", `$${first + values.length - 1}`));
  };
  if (filter.source !== undefined) add("e.source = ?", filter.source);
  if (filter.topic !== undefined) add("e.topic = ?", filter.topic);
  if (filter.status !== undefined) add("e.status = ?", filter.status);
  if (filter.since !== undefined) add("e.received_at >= ?", filter.since);
  if (filter.until !== undefined) add("e.received_at < ?", filter.until);
  if (filter.dedupeKey !== undefined) add("e.dedupe_key = ?", filter.dedupeKey);
  return { where: clauses.length ? clauses.join(" and ") : "true", values };
}
