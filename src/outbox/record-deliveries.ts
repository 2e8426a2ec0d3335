import type { PoolClient } from "../db/index.js";
import { typeMatches, type OutboxHandler } from "./define-outbox-handler.js";
import type { OutboxEvent } from "./outbox-event.js";
import type { OutboxSink } from "./outbox-source.js";

/** The task that delivers the head of one consumer's line (docs/outbox.md). */
export const OUTBOX_DELIVER_TASK = "opskit.outbox-deliver";
/** The job queue of deliveries. */
export const OUTBOX_QUEUE = "outbox";

/** A consumer's line of one aggregate: its deliveries go one at a time, in position order. */
export function lineOf(event: Pick<OutboxEvent, "aggregatetype" | "aggregateid">): string {
  return `${event.aggregatetype}:${event.aggregateid}`;
}

export interface DeliveryJobSettings {
  handlerMaxAttempts: number;
  endpointMaxAttempts: number;
}

/** The job spec (for `opskit.add_jobs`) that drains one line. */
export function lineJob(consumer: string, line: string, settings: DeliveryJobSettings) {
  return {
    task: OUTBOX_DELIVER_TASK,
    queue: OUTBOX_QUEUE,
    payload: { consumer, line },
    fifo_key: `outbox:${consumer}:${line}`,
    max_attempts: consumer.startsWith("handler:")
      ? settings.handlerMaxAttempts
      : settings.endpointMaxAttempts,
  };
}

/** Enqueues the jobs that drain these lines (in the caller's transaction). */
export async function addLineJobs(
  tx: Pick<PoolClient, "query">,
  lines: readonly { consumer: string; line: string }[],
  settings: DeliveryJobSettings,
): Promise<void> {
  if (lines.length === 0) return;
  // The job queue's SQL entry point (sql/migrations/0002_jobs.sql), public
  // for exactly this: enqueueing inside another statement's transaction.
  await tx.query("select 1 from opskit.add_jobs($1::json)", [
    JSON.stringify(lines.map((l) => lineJob(l.consumer, l.line, settings))),
  ]);
}

/**
 * The relay's sink: for each event, one delivery per consumer whose filter
 * takes its type (every handler of this process, every endpoint in the
 * table, whatever its state), then one job per (consumer, line) touched.
 * Idempotent: a delivery exists once per (consumer, event), and a job for a
 * line with nothing pending finds nothing to do.
 */
export function createDeliverySink(
  handlers: readonly OutboxHandler[],
  settings: DeliveryJobSettings,
): OutboxSink {
  return {
    async accept(tx: PoolClient, rows: readonly OutboxEvent[]) {
      const { rows: endpoints } = await tx.query<{ name: string; event_types: string[] | null }>(
        "select name, event_types from opskit.outbox_endpoints order by name",
      );
      const consumers = [
        ...handlers.map((h) => ({ id: `handler:${h.name}`, types: h.types })),
        ...endpoints.map((e) => ({ id: `endpoint:${e.name}`, types: e.event_types })),
      ];
      const consumer: string[] = [];
      const eventId: string[] = [];
      const position: string[] = [];
      const line: string[] = [];
      for (const row of rows) {
        for (const c of consumers) {
          if (!typeMatches(c.types, row.type)) continue;
          consumer.push(c.id);
          eventId.push(row.id);
          position.push(row.position);
          line.push(lineOf(row));
        }
      }
      if (consumer.length > 0) {
        const { rows: lines } = await tx.query<{ consumer: string; line: string }>(
          `with ins as (
             insert into opskit.outbox_deliveries (consumer, event_id, position, line)
             select * from unnest($1::text[], $2::uuid[], $3::bigint[], $4::text[])
             order by 3
             on conflict (consumer, event_id) do nothing
             returning consumer, line, position
           )
           select consumer, line from ins group by consumer, line order by min(position)`,
          [consumer, eventId, position, line],
        );
        await addLineJobs(tx, lines, settings);
      }
    },
  };
}

/**
 * A scalar subquery that enqueues one drain job per row of `lines` (a CTE
 * with columns consumer, line, first), in `first` order: so that marking
 * deliveries pending and enqueueing their lines is one statement (an
 * operator's replay or resume cannot leave deliveries without a job).
 * `$h` and `$e` are the parameters holding the attempts of handlers and endpoints.
 */
export function addLineJobsSql(lines: string, h: string, e: string): string {
  return `(select count(*) from opskit.add_jobs((
    select json_agg(json_build_object(
      'task', '${OUTBOX_DELIVER_TASK}', 'queue', '${OUTBOX_QUEUE}',
      'payload', json_build_object('consumer', l.consumer, 'line', l.line),
      'fifo_key', 'outbox:' || l.consumer || ':' || l.line,
      'max_attempts', case when l.consumer like 'handler:%' then ${h}::int else ${e}::int end
    ) order by l.first) from ${lines} l)))`;
}
