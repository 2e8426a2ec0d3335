import type { OutboxEvent } from "./outbox-event.js";
import { signWebhook } from "./webhook-signature.js";

export interface WebhookAttempt {
  ok: boolean;
  /** HTTP status, or null when no response came (refused, reset, timed out). */
  status: number | null;
  latencyMs: number;
  /** Why it failed (never contains the secret). */
  error?: string;
}

/** The JSON body of an event's webhook (Standard Webhooks' `type`, `timestamp`, `data`). */
export function webhookBody(event: OutboxEvent): string {
  return JSON.stringify({
    id: event.id,
    type: event.type,
    timestamp: event.created_at.toISOString(),
    aggregate_type: event.aggregatetype,
    aggregate_id: event.aggregateid,
    data: event.payload ?? null,
    ...(event.headers ? { headers: event.headers } : {}),
  });
}

/**
 * POSTs one event, signed, and says how it went: a 2xx is delivered; any
 * other status, a redirect (not followed: a moved endpoint is a
 * configuration change, not something to chase), a network error or the
 * timeout is a failure. `webhook-id` is the event's id on every attempt, so
 * the receiver can deduplicate.
 */
export async function sendWebhook(
  url: string,
  secrets: readonly string[],
  event: OutboxEvent,
  options: { timeoutMs: number; signal?: AbortSignal; userAgent?: string },
): Promise<WebhookAttempt> {
  const body = webhookBody(event);
  const headers = signWebhook(secrets, event.id, Math.floor(Date.now() / 1000), body);
  const started = performance.now();
  const signals = [AbortSignal.timeout(options.timeoutMs)];
  if (options.signal) signals.push(options.signal);
  try {
    const response = await fetch(url, {
      method: "POST",
      body,
      redirect: "manual",
      signal: AbortSignal.any(signals),
      headers: {
        ...headers,
        "content-type": "application/json",
        "user-agent": options.userAgent ?? "opskit-outbox",
      },
    });
    // Drain (capped) so the connection can be reused; the body is not kept.
    await response.arrayBuffer().catch(() => undefined);
    const latencyMs = Math.round(performance.now() - started);
    if (response.status >= 200 && response.status < 300) {
      return { ok: true, status: response.status, latencyMs };
    }
    return { ok: false, status: response.status, latencyMs, error: `HTTP ${response.status}` };
  } catch (error) {
    const latencyMs = Math.round(performance.now() - started);
    const e = error as Error & { cause?: { code?: string } };
    const why =
      e.name === "TimeoutError"
        ? `no response within ${options.timeoutMs} ms`
        : (e.cause?.code ?? e.message ?? "request failed");
    return { ok: false, status: null, latencyMs, error: String(why).slice(0, 200) };
  }
}
