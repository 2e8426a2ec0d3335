import type { Queryable } from "../../db/index.js";
import { filterSql, type InboxEventFilter, type InboxEventStatus } from "./inbox-event-filter.js";

/** An event's metadata, as lists show it (no body, no headers). */
export interface InboxEventSummary {
  id: string;
  source: string;
  dedupe_key: string;
  topic: string | null;
  ordering_key: string | null;
  status: InboxEventStatus;
  reject_reason: string | null;
  attempts: number;
  last_error: string | null;
  body_bytes: number;
  received_at: Date;
  processed_at: Date | null;
  payload_pruned_at: Date | null;
  replays: number;
}

/** One event in full: headers (masked) and raw body (null once pruned), and its last replay. */
export interface InboxEventDetail extends InboxEventSummary {
  headers: Record<string, string>;
  body: Buffer | null;
  secret_index: number | null;
  signed_at: Date | null;
  last_replay: { id: string; requested_by: string; reason: string; requested_at: Date } | null;
}

const SUMMARY = `e.id, e.source, e.dedupe_key, e.topic, e.ordering_key, e.status, e.reject_reason,
  e.attempts, e.last_error, e.body_bytes, e.received_at, e.processed_at, e.payload_pruned_at,
  e.replays`;

/** Newest first; `beforeId` pages on. */
export async function listInboxEvents(
  db: Queryable,
  filter: InboxEventFilter & { limit?: number; beforeId?: string },
): Promise<InboxEventSummary[]> {
  const { where, values } = filterSql(filter);
  values.push(filter.beforeId ?? null, filter.limit ?? 50);
  const n = values.length;
  const { rows } = await db.query<InboxEventSummary>(
    `select ${SUMMARY} from opskit.inbox_events e
      where ${where} and ($${n - 1}::bigint is null or e.id < $${n - 1})
      order by e.id desc limit $${n}`,
    values,
  );
  return rows;
}

export async function findInboxEvent(
  db: Queryable,
  id: string,
): Promise<InboxEventDetail | undefined> {
  if (!/^\d{1,18}$/.test(id)) return undefined;
  const { rows } = await db.query<InboxEventDetail>(
    `select ${SUMMARY}, e.headers, e.body, e.secret_index, e.signed_at,
            case when r.id is null then null else json_build_object('id', r.id::text,
              'requested_by', r.requested_by, 'reason', r.reason, 'requested_at', r.requested_at)
            end as last_replay
       from opskit.inbox_events e left join opskit.inbox_replays r on r.id = e.last_replay_id
      where e.id = $1`,
    [id],
  );
  return rows[0];
}

/** Counts by source and status: the backlog at a glance. */
export async function countInboxEvents(
  db: Queryable,
): Promise<{ source: string; status: InboxEventStatus; count: number; oldest: Date }[]> {
  const { rows } = await db.query<{
    source: string;
    status: InboxEventStatus;
    count: string;
    oldest: Date;
  }>(
    `select source, status, count(*) as count, min(received_at) as oldest
       from opskit.inbox_events group by source, status order by source, status`,
  );
  return rows.map((r) => ({ ...r, count: Number(r.count) }));
}

export interface InboxRejectionRow {
  source: string;
  reason: string;
  detail: string | null;
  http_status: number;
  body_bytes: number | null;
  delivery_id: string | null;
  user_agent: string | null;
  rejected_at: Date;
}

/** The most recent refused requests (the ring keeps the last 10,000). */
export async function listInboxRejections(
  db: Queryable,
  filter: { source?: string | undefined; limit?: number },
): Promise<InboxRejectionRow[]> {
  const { rows } = await db.query<InboxRejectionRow>(
    `select source, reason, detail, http_status, body_bytes, delivery_id, user_agent, rejected_at
       from opskit.inbox_rejections where ($1::text is null or source = $1)
      order by rejected_at desc limit $2`,
    [filter.source ?? null, filter.limit ?? 50],
  );
  return rows;
}
