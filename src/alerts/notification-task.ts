import type { Pool } from "../db/index.js";
import { defineTask, type Task } from "../jobs/index.js";
import { NotifierError, type Notifier } from "./notifier.js";
import { findNotification, recordDelivery } from "./sql/alert-groups.js";

export const NOTIFICATION_TASK = "opskit.alerts.notify";

export interface NotificationRetry {
  /** Attempts before a notification is given up (dead); default 25 (about a day with the defaults). */
  maxAttempts?: number;
  /** First retry delay; default 5 s, doubling up to `maxMs`. */
  baseMs?: number;
  /** Longest delay between attempts; default 1 h. */
  maxMs?: number;
}

/**
 * The job that delivers one notification row to its receiver. Idempotent: a
 * row already sent (or dead) is skipped, so a job run twice after a crash
 * sends at most one extra copy, which the receiver dedupes on the stable
 * notification id (webhook-id, PagerDuty's dedup_key). A retryable failure
 * throws (the queue retries with backoff, or after the receiver's
 * Retry-After); a refusal (4xx) marks the row dead and lets the group's next
 * notification go (they run in order per group: the fifo key).
 */
export function notificationTask(
  pool: () => Pool,
  notifiers: () => readonly Notifier[],
  retry: NotificationRetry = {},
): Task<{ id: string }> {
  const baseMs = retry.baseMs ?? 5_000;
  const maxMs = retry.maxMs ?? 3_600_000;
  return defineTask<{ id: string }>(
    NOTIFICATION_TASK,
    async ({ id }, ctx) => {
      const db = pool();
      const row = await findNotification(db, id);
      if (!row || row.delivery === "sent" || row.delivery === "dead") return;
      const notifier = notifiers().find((n) => n.name === row.receiver);
      if (!notifier) {
        await recordDelivery(db, id, {
          delivery: "dead",
          error: `no notifier named ${row.receiver} is configured`,
        });
        return;
      }
      try {
        await notifier.send(row.payload, { notificationId: id, signal: ctx.signal });
      } catch (error) {
        const message = (error as Error).message;
        const final =
          (error instanceof NotifierError && !error.retryable) || ctx.attempt >= ctx.maxAttempts;
        await recordDelivery(db, id, { delivery: final ? "dead" : "failed", error: message });
        if (final) {
          ctx.log.error(
            { err: error, receiver: row.receiver, notification: id },
            "alert notification given up",
          );
          return;
        }
        throw error;
      }
      await recordDelivery(db, id, { delivery: "sent" });
    },
    {
      queue: "opskit.alerts",
      maxAttempts: retry.maxAttempts ?? 25,
      backoff: (attempt, error) => {
        const after = error instanceof NotifierError ? error.retryAfterMs : undefined;
        const exp = Math.min(maxMs, baseMs * 2 ** (attempt - 1));
        return Math.max(after ?? 0, exp / 2 + (Math.random() * exp) / 2);
      },
    },
  );
}
