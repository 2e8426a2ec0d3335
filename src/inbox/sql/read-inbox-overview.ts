import type { Queryable } from "../../db/index.js";

export interface InboxOverview {
  backlog: number;
  oldest_backlog_seconds: number | null;
  received_last_hour: number;
  rejected_last_hour: number;
}

// An event waiting to be processed (pending, or failed with a retry due)
// has an unfinished job in its source's queue `inbox.<source>`: the backlog
// is read from the small hot jobs table, so the inbox's own table needs no
// index on its status (one would make every status change a non-HOT update).
// The inbox reads the jobs table here as it writes it when it stores an event
// (store-inbox-events.ts): its processing is those jobs, and one statement
// keeps the overview one round trip.
const INBOX_BACKLOG = `select count(*) as n, min(created_at) as oldest from opskit.jobs where queue like 'inbox.%'`;

/**
 * The inbox at a glance, in one statement: the backlog and its oldest, and
 * the last hour's deliveries and rejections (the rejection rate), each
 * source's count walking its (source, received_at) index.
 */
export async function readInboxOverview(db: Queryable): Promise<InboxOverview> {
  const { rows } = await db.query<InboxOverview>(
    `select b.n::int as backlog, extract(epoch from now() - b.oldest)::float8 as oldest_backlog_seconds,
       (select coalesce(sum((select count(*) from opskit.inbox_events e
                              where e.source = s.name and e.received_at >= now() - interval '1 hour')), 0)
          from opskit.inbox_sources s)::int as received_last_hour,
       (select count(*) from opskit.inbox_rejections
         where rejected_at >= now() - interval '1 hour')::int as rejected_last_hour
       from (${INBOX_BACKLOG}) b`,
  );
  return rows[0]!;
}
