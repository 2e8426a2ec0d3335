import { z } from "zod";
import { withTransaction, type Pool } from "../db/index.js";
import { toError } from "../errors.js";
import { defineTask, type Task } from "../jobs/index.js";
import type { Logger } from "../log/index.js";
import type { InboxEvent, Source } from "./define-source.js";
import type { InboxMetrics } from "./inbox-metrics.js";

const payloadSchema = z.object({ eventId: z.string().regex(/^\d+$/) });

interface EventRow {
  id: string;
  source: string;
  dedupe_key: string;
  topic: string | null;
  ordering_key: string | null;
  status: string;
  headers: Record<string, string>;
  body: Buffer | null;
  received_at: Date;
}

/**
 * The job task that processes a source's events (`inbox.<source>`, on the
 * queue of the same name so pausing a source pauses it). Each attempt locks
 * the event row, skips an event that is already processed (a replay that
 * raced an earlier job, a job rerun after a crash), and runs the source's
 * handler in the transaction that marks the event processed. A failed
 * attempt records the attempt count and the error on the event and rethrows
 * so the queue retries with backoff; the last attempt marks it dead.
 */
export function processEventTask(
  source: Source,
  deps: { pool: Pool; log: Logger; metrics: InboxMetrics },
): Task<{ eventId: string }> {
  return defineTask(
    source.queue,
    async ({ eventId }, job) => {
      try {
        const done = await withTransaction(deps.pool, async (tx) => {
          const { rows } = await tx.query<EventRow>(
            `select id, source, dedupe_key, topic, ordering_key, status, headers, body, received_at
               from opskit.inbox_events where id = $1 for update`,
            [eventId],
          );
          const row = rows[0];
          if (!row || row.status === "processed" || row.status === "rejected") return false;
          const event = toEvent(row, source, job.attempt);
          await source.handler(event, { tx, job, log: job.log });
          await tx.query(
            `update opskit.inbox_events
                set status = 'processed', processed_at = now(), attempts = $2, last_error = null
              where id = $1`,
            [eventId, job.attempt],
          );
          return true;
        });
        if (done) deps.metrics.processed(source.name, "processed");
      } catch (thrown) {
        const error = toError(thrown);
        const dead = job.attempt >= job.maxAttempts;
        await deps.pool
          .query(
            `update opskit.inbox_events set status = $2, attempts = $3, last_error = $4
              where id = $1 and status <> 'processed'`,
            [eventId, dead ? "dead" : "failed", job.attempt, error.message.slice(0, 2_000)],
          )
          .catch((e: unknown) =>
            deps.log.warn({ err: toError(e), event_id: eventId }, "could not record the failure"),
          );
        deps.metrics.processed(source.name, dead ? "dead" : "failed");
        throw error;
      }
    },
    {
      queue: source.queue,
      schema: payloadSchema,
      maxAttempts: source.maxAttempts,
      ...(source.backoff ? { backoff: source.backoff } : {}),
    },
  );
}

function toEvent(row: EventRow, source: Source, attempt: number): InboxEvent {
  const body = row.body ?? Buffer.alloc(0);
  // Parsed whenever the body is JSON: a source that does not require JSON
  // (GitHub's form-encoded hooks) still hands its JSON deliveries parsed.
  let json: unknown;
  try {
    json = JSON.parse(body.toString("utf8"));
  } catch {
    json = undefined;
  }
  return {
    id: row.id,
    source: row.source,
    dedupeKey: row.dedupe_key,
    topic: row.topic,
    orderingKey: row.ordering_key,
    headers: row.headers,
    body,
    json,
    receivedAt: row.received_at,
    attempt,
  };
}
