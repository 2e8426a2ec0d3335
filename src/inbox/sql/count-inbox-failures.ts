import type { Queryable } from "../../db/index.js";

/** Refusal reasons that mean the signature did not verify (see VerifyFailureReason). */
const VERIFICATION_REASONS = [
  "missing_signature",
  "malformed_signature",
  "bad_signature",
  "missing_header",
  "stale_timestamp",
  "future_timestamp",
  "unknown_account",
];

export interface InboxFailureCounts {
  source: string;
  /** Requests refused by verification within the window. */
  unverified: number;
  /** Events received within the window whose processing failed (retry scheduled) or died. */
  failed: number;
  dead: number;
}

/**
 * Per source, the verification failures and the processing failures of the
 * last `windowMs`: what the inbox alerts read. Each source's events are
 * walked by its (source, received_at) index within the window; the
 * rejections by their rejected_at index.
 */
export async function countInboxFailures(
  db: Queryable,
  windowMs: number,
): Promise<InboxFailureCounts[]> {
  const { rows } = await db.query<InboxFailureCounts>(
    `with since as (select now() - $1 * interval '1 millisecond' as at),
     unverified as (
       select source, count(*)::int as n from opskit.inbox_rejections, since
        where rejected_at > since.at and reason = any($2::text[]) group by source
     ),
     processing as (
       select s.name as source, x.failed, x.dead from opskit.inbox_sources s, since, lateral (
         select count(*) filter (where e.status = 'failed')::int as failed,
                count(*) filter (where e.status = 'dead')::int as dead
           from opskit.inbox_events e where e.source = s.name and e.received_at > since.at) x
     )
     select coalesce(p.source, u.source) as source, coalesce(u.n, 0) as unverified,
            coalesce(p.failed, 0) as failed, coalesce(p.dead, 0) as dead
       from processing p full join unverified u on u.source = p.source
      order by 1`,
    [windowMs, VERIFICATION_REASONS],
  );
  return rows;
}
