import type { Queryable } from "../../db/index.js";

/** A verified request, ready to store. */
export interface NewInboxEvent {
  source: string;
  dedupeKey: string;
  topic: string | null;
  orderingKey: string | null;
  status: "pending" | "rejected";
  rejectReason: string | null;
  headers: Record<string, string>;
  body: Buffer;
  secretIndex: number;
  signedAt: Date | null;
}

/** What the processing jobs of a source's events are added with. */
export interface SourceJobSettings {
  /** The source's name; its task and queue are `inbox.<name>`. */
  name: string;
  maxAttempts: number;
}

// One statement, so one implicit transaction and one round trip: the rows,
// and for each new pending row its job, commit together or not at all. The
// jobs are the ones opskit.add_jobs adds for eventJobSpecs (task and queue
// inbox.<source>, payload {eventId}, ready now, priority 0, the source's
// max_attempts, fifo key inbox.<source>:<ordering key>, no dedupe key, ids in
// event order, then opskit.notify_jobs for the queue), inserted here directly:
// through add_jobs (PL/pgSQL, JSON specs) the database spent 2-4 times the
// CPU per event under load, growing as the job table grew, against a flat
// cost this way (docs/benchmarks.md, "Webhook inbox"). store-inbox-events.test.ts
// holds the two to the same rows. `note` is referenced by the final select so
// that it runs.
const STORE_SQL = `with ins as (
  insert into opskit.inbox_events
    (source, dedupe_key, topic, ordering_key, status, reject_reason, headers, body, body_bytes,
     secret_index, signed_at)
  select s, k, t, o, st, r, h::jsonb, substring($14::bytea from b_at for b_len), b_len, i, sa
    from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                $7::text[], $8::integer[], $9::integer[], $10::smallint[], $11::timestamptz[])
         with ordinality as x(s, k, t, o, st, r, h, b_at, b_len, i, sa, n)
   order by n
  on conflict (source, dedupe_key) do nothing
  returning id, source, dedupe_key, status, ordering_key
), job as (
  insert into opskit.jobs (task, queue, payload, state, priority, run_at, max_attempts, fifo_key)
  select 'inbox.' || ins.source, 'inbox.' || ins.source,
         jsonb_build_object('eventId', ins.id::text), 'ready', 0, now(), src.max_attempts,
         case when ins.ordering_key is null then null
              else 'inbox.' || ins.source || ':' || ins.ordering_key end
    from ins join unnest($12::text[], $13::integer[]) as src(name, max_attempts)
      on src.name = ins.source
   where ins.status = 'pending'
   order by ins.id
  returning queue
), note as (
  select count(opskit.notify_jobs(q.queue)) as n from (select distinct queue from job) q
)
select ins.id, ins.source, ins.dedupe_key from ins cross join note`;

/**
 * Stores events and enqueues their processing jobs in one statement (so in
 * one transaction): `ON CONFLICT DO NOTHING` on (source, dedupe key) makes a
 * duplicate, even one arriving at the same instant on another connection, a
 * no-op with no job. Returns each event's new id in input order, or
 * undefined for a duplicate (of a stored event, or of an earlier event in
 * the same batch). `prepared: false` through a transaction-mode pooler.
 */
export async function storeInboxEvents(
  db: Queryable,
  events: readonly NewInboxEvent[],
  sources: readonly SourceJobSettings[],
  options: { prepared?: boolean } = {},
): Promise<(string | undefined)[]> {
  const column = <T>(pick: (e: NewInboxEvent) => T) => events.map(pick);
  // The bodies go as one binary parameter, cut apart by offset and length in
  // SQL: a bytea[] parameter would travel as hex text (twice the bytes, and
  // the encoding and garbage cost on the Node side dominated a busy inbox).
  const offsets: number[] = [];
  let at = 1;
  for (const e of events) {
    offsets.push(at);
    at += e.body.length;
  }
  const values = [
    column((e) => e.source),
    column((e) => e.dedupeKey),
    column((e) => e.topic),
    column((e) => e.orderingKey),
    column((e) => e.status),
    column((e) => e.rejectReason),
    column((e) => JSON.stringify(e.headers)),
    offsets,
    column((e) => e.body.length),
    column((e) => e.secretIndex),
    column((e) => e.signedAt),
    sources.map((s) => s.name),
    sources.map((s) => s.maxAttempts),
    Buffer.concat(column((e) => e.body)),
  ];
  // A named prepared statement is planned once per connection: on a busy
  // box planning this statement costs about as much as running it.
  const { rows } = await db.query<{ id: string; source: string; dedupe_key: string }>(
    options.prepared === false
      ? { text: STORE_SQL, values }
      : { name: "opskit_inbox_store_events", text: STORE_SQL, values },
  );
  const ids = new Map(rows.map((r) => [`${r.source}\u0000${r.dedupe_key}`, r.id]));
  return events.map((e) => {
    const key = `${e.source}\u0000${e.dedupeKey}`;
    const id = ids.get(key);
    ids.delete(key); // a second event with the same key in this batch is its duplicate
    return id;
  });
}
