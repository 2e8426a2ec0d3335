import type { Emitter } from "../typed-emitter.js";
import type { RequestOutcome } from "./inbox-metrics.js";
import {
  receiveWebhook,
  type IncomingWebhook,
  type ReceiverDeps,
  type WebhookResponse,
} from "./receive-webhook.js";
import type { Rejection } from "./rejection-recorder.js";

/** A delivery stored (committed) with its processing job. */
export interface WebhookStoredEvent {
  source: string;
  eventId: string;
  requestId: string;
}

/** A delivery whose dedupe key was already stored: acknowledged, nothing new stored. */
export interface WebhookDuplicateEvent {
  source: string;
  requestId: string;
}

/** A delivery refused (unknown source, too large, not verified) or stored as rejected. */
export interface WebhookRejectedEvent {
  /** The path's source when none is registered under that name. */
  source: string;
  /**
   * The verifier's reason (`bad_signature`, `stale_timestamp`, …),
   * `too_large`, `unknown_source`, or `stored_as_rejected` (verified, but
   * not JSON or without a dedupe key: kept for inspection, never processed).
   */
  reason: string;
  detail: string;
  /** The HTTP status the sender was answered. */
  status: number;
  requestId: string;
}

/** What an inbox fires for each request it answers in this process (`inbox.on(…)`). */
export interface WebhookEvents {
  "webhook.stored": WebhookStoredEvent;
  "webhook.duplicate": WebhookDuplicateEvent;
  "webhook.rejected": WebhookRejectedEvent;
}

/**
 * The request path with its events: while nobody listens it is
 * `receiveWebhook` itself (nothing allocated); otherwise the outcome is read
 * where the request path reports it (its metrics call and its rejection
 * record) and fired once the answer is decided: a stored delivery is
 * committed by then. Busy and unavailable answers fire nothing (the sender
 * retries them).
 */
export function receiveWithEvents(
  deps: ReceiverDeps,
  events: Emitter<WebhookEvents>,
): (request: IncomingWebhook) => Promise<WebhookResponse> {
  return async (request) => {
    if (!events.listening()) return receiveWebhook(deps, request);
    let outcome: { source: string; kind: RequestOutcome } | undefined;
    let refusal: Rejection | undefined;
    const response = await receiveWebhook(
      {
        ...deps,
        metrics: {
          ...deps.metrics,
          request(source, kind) {
            outcome = { source, kind };
            deps.metrics.request(source, kind);
          },
        },
        recorder: {
          ...deps.recorder,
          record(rejection) {
            refusal = rejection;
            deps.recorder.record(rejection);
          },
        },
      },
      request,
    );
    const { requestId } = request;
    if (outcome?.kind === "stored") {
      const eventId = String(response.body.id);
      events.emit("webhook.stored", { source: outcome.source, eventId, requestId });
    } else if (outcome?.kind === "duplicate") {
      events.emit("webhook.duplicate", { source: outcome.source, requestId });
    } else if (outcome?.kind === "rejected") {
      const error = response.body.error as { message?: string } | undefined;
      events.emit("webhook.rejected", {
        source: outcome.source,
        reason: "stored_as_rejected",
        detail: error?.message ?? "",
        status: response.status,
        requestId,
      });
    } else if (refusal) {
      const { source, reason, detail, httpStatus: status } = refusal;
      events.emit("webhook.rejected", { source, reason, detail, status, requestId });
    }
    return response;
  };
}
