import type { Queryable } from "../../db/index.js";
import type { InboxEventSummary } from "./inbox-events.js";

/**
 * Events with this exact dedupe key (the provider's delivery id), in any
 * source, newest first. The inbox's unique index leads with the source, so
 * the lookup probes it once per registered source (`source = any(…)`)
 * instead of walking every event: an index lookup with no index added to
 * the inbox's write path.
 */
export async function findInboxEventsByDedupeKey(
  db: Queryable,
  dedupeKey: string,
): Promise<InboxEventSummary[]> {
  const { rows } = await db.query<InboxEventSummary>(
    `select e.id::text, e.source, e.dedupe_key, e.topic, e.ordering_key, e.status, e.reject_reason,
            e.attempts, e.last_error, e.body_bytes, e.received_at, e.processed_at, e.payload_pruned_at,
            e.replays
       from opskit.inbox_events e
      where e.source = any(array(select name from opskit.inbox_sources)) and e.dedupe_key = $1
      order by e.id desc limit 50`,
    [dedupeKey],
  );
  return rows;
}
