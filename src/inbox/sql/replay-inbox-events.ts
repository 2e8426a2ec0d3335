import type { Queryable } from "../../db/index.js";
import { OpskitError } from "../../errors.js";
import { eventJobSpecs } from "./event-job-specs.js";
import { filterSql, type InboxEventFilter } from "./inbox-event-filter.js";

export interface ReplayRequest {
  /** Who asked (an operator's name or the console user). */
  by: string;
  /** Why: kept with the replay record. */
  reason: string;
  /** Count only; nothing changes and nothing is recorded. */
  dryRun?: boolean;
  /** Events per statement; default 1,000. */
  batchSize?: number;
}

export interface ReplayResult {
  dryRun: boolean;
  /** Events replayed (or, for a dry run, that would be). */
  count: number;
  /** The replay record's id (not for a dry run). */
  replayId: string | undefined;
}

// Only finished events are replayed: a pending or failed one is still in the
// queue (replaying it would run it twice), a rejected one is never processed,
// and a pruned one has no payload left.
const REPLAYABLE = `e.status in ('processed', 'dead') and e.body is not null`;

/**
 * Replays every finished event matching the filter: each goes back to
 * `pending` with a new processing job (same transaction), in batches, in
 * arrival order. One record in `opskit.inbox_replays` says who, when, why and
 * for which filter; each event points to it. Events that arrive after the
 * replay starts are not included. Run with `dryRun` first to see the count.
 *
 * @example
 * const { count } = await replayInboxEvents(pool, { source: "shopify", status: "dead" }, { by: "ada", reason: "fixed SKU mapping", dryRun: true });
 */
export async function replayInboxEvents(
  db: Queryable,
  filter: InboxEventFilter,
  request: ReplayRequest,
): Promise<ReplayResult> {
  if (filter.status !== undefined && filter.status !== "processed" && filter.status !== "dead") {
    throw new OpskitError(
      "BAD_REQUEST",
      `Only processed or dead events can be replayed, not ${filter.status} ones.`,
    );
  }
  const { where, values } = filterSql(filter);
  const { rows } = await db.query<{ n: string; max_id: string | null }>(
    `select count(*) as n, max(e.id) as max_id from opskit.inbox_events e
      where ${where} and ${REPLAYABLE}`,
    values,
  );
  const count = Number(rows[0]!.n);
  const maxId = rows[0]!.max_id;
  if (request.dryRun) return { dryRun: true, count, replayId: undefined };
  if (!request.by.trim() || !request.reason.trim()) {
    throw new OpskitError("BAD_REQUEST", "A replay needs who asked (by) and why (reason).");
  }
  const record = await db.query<{ id: string }>(
    `insert into opskit.inbox_replays (requested_by, reason, filter, event_count)
     values ($1, $2, $3, 0) returning id`,
    [request.by, request.reason, JSON.stringify(filter)],
  );
  const replayId = record.rows[0]!.id;
  if (maxId === null) return { dryRun: false, count: 0, replayId };
  const n = values.length;
  // One statement per batch (so one transaction): the events go back to
  // pending and their jobs are added together, and the record's count moves
  // with them. `last_replay_id` keeps a batch from picking an event this
  // replay already re-queued (and that may be processed again by now).
  const batchSql = `with picked as (
      select e.id from opskit.inbox_events e
       where ${where} and ${REPLAYABLE} and e.id <= $${n + 1}
         and e.last_replay_id is distinct from $${n + 2}
       order by e.id limit $${n + 3} for update
    ), upd as (
      update opskit.inbox_events e
         set status = 'pending', replays = e.replays + 1, last_replay_id = $${n + 2},
             last_error = null, processed_at = null
        from picked where e.id = picked.id
      returning e.id, e.source, e.ordering_key
    ), counted as (
      update opskit.inbox_replays set event_count = event_count + (select count(*) from upd)
       where id = $${n + 2}
    ), enq as (
      select count(*) as n from opskit.add_jobs((
        select ${eventJobSpecs("upd", "coalesce(s.max_attempts, 10)")}
          from upd left join opskit.inbox_sources s on s.name = upd.source))
    )
    select (select count(*) from upd) as n, (select n from enq) as jobs`;
  let total = 0;
  for (;;) {
    const batch = await db.query<{ n: string }>(batchSql, [
      ...values,
      maxId,
      replayId,
      request.batchSize ?? 1_000,
    ]);
    const done = Number(batch.rows[0]!.n);
    total += done;
    if (done === 0) break;
  }
  return { dryRun: false, count: total, replayId };
}

/**
 * Replays one event (it must be processed or dead, with its payload).
 *
 * @example
 * await replayInboxEvent(pool, "42", { by: "ada", reason: "customer asked" });
 */
export async function replayInboxEvent(
  db: Queryable,
  id: string,
  request: Omit<ReplayRequest, "batchSize">,
): Promise<ReplayResult> {
  if (!/^\d{1,18}$/.test(id)) throw new OpskitError("NOT_FOUND", `No inbox event ${id}.`);
  const { rows } = await db.query<{
    status: string;
    pruned: boolean;
    received_at: Date;
    source: string;
    dedupe_key: string;
  }>(
    "select status, body is null as pruned, received_at, source, dedupe_key from opskit.inbox_events where id = $1",
    [id],
  );
  const row = rows[0];
  if (!row) throw new OpskitError("NOT_FOUND", `No inbox event ${id}.`);
  if (row.pruned) {
    throw new OpskitError(
      "CONFLICT",
      `Event ${id}'s payload was pruned by retention; it cannot be replayed.`,
    );
  }
  if (row.status !== "processed" && row.status !== "dead") {
    throw new OpskitError(
      "CONFLICT",
      `Event ${id} is ${row.status}; only processed or dead events can be replayed` +
        (row.status === "rejected"
          ? " (a rejected event is never processed)."
          : " (it is still in the queue)."),
    );
  }
  return replayInboxEvents(db, { source: row.source, dedupeKey: row.dedupe_key }, request);
}
