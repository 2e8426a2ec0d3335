import { z } from "zod";
import { withTransaction, type Pool } from "../db/index.js";
import { OpskitError, toError } from "../errors.js";
import { defineTask, type Backoff, type JobContext, type Task } from "../jobs/index.js";
import type { SecretBox } from "../secrets/index.js";
import type { OutboxHandler } from "./define-outbox-handler.js";
import { openSecret } from "./endpoint-secrets.js";
import { EVENT_COLUMNS, type OutboxEvent } from "./outbox-event.js";
import type { OutboxMetrics } from "./outbox-metrics.js";
import { OUTBOX_DELIVER_TASK, OUTBOX_QUEUE } from "./record-deliveries.js";
import { sendWebhook } from "./send-webhook.js";

export interface DeliverTaskOptions {
  pool: Pool;
  handlers: ReadonlyMap<string, OutboxHandler>;
  box?: SecretBox | undefined;
  metrics: OutboxMetrics;
  /** Attempts of one delivery before it is dead (and its line moves on). */
  handlerMaxAttempts: number;
  endpointMaxAttempts: number;
  backoff: Backoff;
  webhookTimeoutMs: number;
  /** Heads delivered by one job before it hands the rest of its line to a follow-up job; default 100. */
  perJob?: number;
}

const payloadSchema = z.object({
  consumer: z.string().min(1).max(300),
  line: z.string().max(1000),
});
type LinePayload = z.infer<typeof payloadSchema>;
type Head = OutboxEvent & { delivery_id: string; delivery_attempts: number };
type Outcome = "delivered" | "empty" | "waiting";

const HEAD_SQL = `select d.id::text as delivery_id, d.attempts as delivery_attempts, ${EVENT_COLUMNS}
   from opskit.outbox_deliveries d join opskit.outbox o on o.id = d.event_id
  where d.consumer = $1 and d.line = $2 and d.state = 'pending'
  order by d.position limit 1`;

/**
 * The job that drains one consumer's line (one aggregate's pending
 * deliveries to one handler or endpoint): it delivers the head — the lowest
 * pending position — then the next, one at a time. Jobs of a line share a
 * `fifoKey`, so at most one runs at a time, and since each delivers whatever
 * is the head when it runs, order holds however jobs were enqueued (the
 * relay, a replay, a resume). A failed head fails the job (retried with
 * backoff: the line waits); once a delivery's attempts run out it is dead,
 * a follow-up job takes the rest of the line, and the job dies with it.
 */
export function deliverTask(o: DeliverTaskOptions): Task<LinePayload> {
  const perJob = o.perJob ?? 100;
  const pool = o.pool;

  async function recordFailure(
    head: Head,
    consumer: string,
    error: string,
    status: number | null,
    dead: boolean,
  ): Promise<void> {
    await pool.query(
      `update opskit.outbox_deliveries
          set attempts = attempts + 1, last_error = $2, last_status = $3,
              state = case when $4 then 'dead' else state end, updated_at = now()
        where id = $1 and state = 'pending'`,
      [head.delivery_id, error.slice(0, 500), status, dead],
    );
    o.metrics.failed(consumer, dead ? "dead" : "failed");
  }

  async function toHandler(p: LinePayload, ctx: JobContext): Promise<Outcome> {
    const name = p.consumer.slice("handler:".length);
    const handler = o.handlers.get(name);
    if (!handler) {
      throw new OpskitError(
        "OUTBOX_CONFIG_INVALID",
        `No outbox handler "${name}" in this process; deploy it or replay elsewhere.`,
      );
    }
    let failure: { head: Head; error: Error } | undefined;
    const outcome = await withTransaction(pool, async (tx): Promise<Outcome> => {
      const { rows } = await tx.query<Head>(`${HEAD_SQL} for update of d`, [p.consumer, p.line]);
      const head = rows[0];
      if (!head) return "empty";
      try {
        // A savepoint: a failing handler's writes roll back, the failure is recorded.
        await withTransaction(tx, (sp) =>
          Promise.resolve(
            handler.handle(head, {
              tx: sp,
              attempt: head.delivery_attempts + 1,
              signal: ctx.signal,
              log: ctx.log,
            }),
          ),
        );
      } catch (error) {
        failure = { head, error: toError(error) };
        return "waiting";
      }
      await tx.query(
        `update opskit.outbox_deliveries
            set state = 'delivered', attempts = attempts + 1, delivered_at = now(), updated_at = now(),
                latency_ms = (extract(epoch from clock_timestamp() - $2::timestamptz) * 1000)::int
          where id = $1`,
        [head.delivery_id, head.created_at],
      );
      return "delivered";
    });
    if (failure) await fail(p, ctx, failure.head, failure.error.message, null, failure.error);
    if (outcome === "delivered") o.metrics.delivered(p.consumer);
    return outcome;
  }

  async function fail(
    p: LinePayload,
    ctx: JobContext,
    head: Head,
    message: string,
    status: number | null,
    error: Error,
  ): Promise<never> {
    const max = p.consumer.startsWith("handler:") ? o.handlerMaxAttempts : o.endpointMaxAttempts;
    const dead = head.delivery_attempts + 1 >= max || ctx.attempt >= ctx.maxAttempts;
    await recordFailure(head, p.consumer, message, status, dead);
    // The line goes on without the dead delivery (a replay brings it back).
    if (dead) await ctx.add(OUTBOX_DELIVER_TASK, p, { fifoKey: fifoKey(p), maxAttempts: max });
    throw error;
  }

  async function toEndpoint(p: LinePayload, ctx: JobContext): Promise<Outcome> {
    const name = p.consumer.slice("endpoint:".length);
    const { rows: eps } = await pool.query<{
      url: string;
      state: string;
      secret: string;
      previous_secret: string | null;
    }>("select url, state, secret, previous_secret from opskit.outbox_endpoints where name = $1", [
      name,
    ]);
    const ep = eps[0];
    const { rows } = await pool.query<Head>(HEAD_SQL, [p.consumer, p.line]);
    const head = rows[0];
    if (!head) return "empty";
    if (!ep) {
      await recordFailure(head, p.consumer, `endpoint "${name}" was removed`, null, true);
      return "delivered";
    }
    // Paused or disabled: the deliveries wait; resuming enqueues their lines again.
    if (ep.state !== "active") return "waiting";
    const secrets = [openSecret(o.box, name, "secret", ep.secret)];
    if (ep.previous_secret) {
      secrets.push(openSecret(o.box, name, "previous_secret", ep.previous_secret));
    }
    const attempt = await sendWebhook(ep.url, secrets, head, {
      timeoutMs: o.webhookTimeoutMs,
      signal: ctx.signal,
    });
    if (attempt.ok) {
      await withTransaction(pool, async (tx) => {
        await tx.query(
          `update opskit.outbox_deliveries
              set state = 'delivered', attempts = attempts + 1, delivered_at = now(), updated_at = now(),
                  last_status = $2, latency_ms = $3
            where id = $1 and state = 'pending'`,
          [head.delivery_id, attempt.status, attempt.latencyMs],
        );
        await tx.query(
          `update opskit.outbox_endpoints
              set consecutive_failures = 0, last_success_at = now(), last_latency_ms = $2, updated_at = now()
            where name = $1`,
          [name, attempt.latencyMs],
        );
      });
      o.metrics.delivered(p.consumer);
      return "delivered";
    }
    const why = attempt.error ?? "failed";
    const { rows: after } = await pool.query<{ state: string }>(
      `update opskit.outbox_endpoints
          set consecutive_failures = consecutive_failures + 1, last_failure_at = now(),
              last_error = $2, last_latency_ms = $3, updated_at = now(),
              state = case when state = 'active' and consecutive_failures + 1 >= max_failures
                           then 'disabled' else state end,
              state_reason = case when state = 'active' and consecutive_failures + 1 >= max_failures
                           then 'disabled after ' || max_failures || ' consecutive failures: ' || $2
                           else state_reason end,
              state_changed_at = case when state = 'active' and consecutive_failures + 1 >= max_failures
                           then now() else state_changed_at end
        where name = $1
        returning state`,
      [name, why, attempt.latencyMs],
    );
    if (after[0]?.state === "disabled") {
      // The endpoint is off: the attempt counts, the line waits for a resume.
      await recordFailure(head, p.consumer, why, attempt.status, false);
      return "waiting";
    }
    return fail(p, ctx, head, why, attempt.status, new Error(`endpoint "${name}": ${why}`));
  }

  return defineTask<LinePayload>(
    OUTBOX_DELIVER_TASK,
    async (p, ctx) => {
      const deliver = p.consumer.startsWith("handler:") ? toHandler : toEndpoint;
      for (let n = 0; n < perJob; n++) {
        ctx.signal.throwIfAborted();
        if ((await deliver(p, ctx)) !== "delivered") return;
      }
      // A long line: the rest goes to a follow-up job (after this one, by fifo order).
      await ctx.add(OUTBOX_DELIVER_TASK, p, { fifoKey: fifoKey(p) });
    },
    {
      schema: payloadSchema,
      queue: OUTBOX_QUEUE,
      backoff: o.backoff,
      maxAttempts: Math.max(o.handlerMaxAttempts, o.endpointMaxAttempts),
    },
  );
}

function fifoKey(p: LinePayload): string {
  return `outbox:${p.consumer}:${p.line}`;
}
