import { OpskitError } from "../errors.js";

/** One alert in a message: Alertmanager's webhook shape (version 4). */
export interface MessageAlert {
  status: "firing" | "resolved";
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  /** `0001-01-01T00:00:00Z` while firing, as Alertmanager sends. */
  endsAt: string;
  generatorURL: string;
  fingerprint: string;
}

/**
 * A group's notification, in Alertmanager's webhook payload (version "4"):
 * what the generic webhook sends as is and every other notifier formats.
 */
export interface AlertMessage {
  version: "4";
  groupKey: string;
  truncatedAlerts: number;
  status: "firing" | "resolved";
  receiver: string;
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  externalURL: string;
  alerts: MessageAlert[];
}

/** Alertmanager's grouping timers (its defaults: 30 s, 5 m, 4 h). */
export interface GroupTiming {
  /** Wait this long after a group's first alert before its first message (more may join). */
  groupWaitMs: number;
  /** Wait this long after a message before sending a group's changes. */
  groupIntervalMs: number;
  /** Send an unchanged firing group again after this long. */
  repeatIntervalMs: number;
}

export const DEFAULT_GROUP_TIMING: GroupTiming = {
  groupWaitMs: 30_000,
  groupIntervalMs: 300_000,
  repeatIntervalMs: 4 * 3_600_000,
};

/** What `send` is given besides the message. */
export interface SendContext {
  /** Stable per notification: receivers dedupe retries on it (webhook-id, …). */
  notificationId: string;
  signal: AbortSignal;
}

/**
 * A receiver of alert notifications. Implementations live in `notifiers/`
 * (Slack, PagerDuty, generic webhook, Alertmanager); a service can add its
 * own. `send` resolves once the receiver accepted the message and throws a
 * `NotifierError` otherwise: retryable ones are retried by the notification
 * job with backoff (honouring `retryAfterMs`), the others mark the
 * notification dead at once.
 */
export interface Notifier {
  /** The receiver's name in the payload and the notification rows (`slack`). */
  readonly name: string;
  /** Severities routed here; default every one. */
  readonly severities?: readonly string[] | undefined;
  /** Overrides of the group timers for this receiver. */
  readonly timing?: Partial<GroupTiming> | undefined;
  send(message: AlertMessage, ctx: SendContext): Promise<void>;
}

/** A receiver refused or did not answer. */
export class NotifierError extends OpskitError {
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;
  constructor(
    message: string,
    options: { retryable: boolean; retryAfterMs?: number | undefined; cause?: unknown },
  ) {
    super("ALERT_NOTIFIER_FAILED", message, { cause: options.cause });
    this.retryable = options.retryable;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/**
 * POSTs a body and turns the answer into success or a NotifierError: 2xx ok;
 * 429 and 5xx and network errors retryable (with Retry-After); other 4xx not.
 */
export async function postOrThrow(
  receiver: string,
  url: string,
  init: { body: string; headers: Record<string, string>; signal: AbortSignal; timeoutMs?: number },
): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: "POST",
      body: init.body,
      headers: init.headers,
      signal: AbortSignal.any([init.signal, AbortSignal.timeout(init.timeoutMs ?? 10_000)]),
    });
  } catch (error) {
    throw new NotifierError(`${receiver}: no answer (${(error as Error).message}); will retry.`, {
      retryable: true,
      cause: error,
    });
  }
  if (response.ok) return response;
  const text = (await response.text().catch(() => "")).slice(0, 200);
  const retryAfter = Number(response.headers.get("retry-after"));
  throw new NotifierError(`${receiver}: HTTP ${response.status} ${text}`.trim(), {
    retryable: response.status === 429 || response.status >= 500 || response.status === 408,
    retryAfterMs: Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : undefined,
  });
}
