import { postOrThrow, type AlertMessage, type Notifier } from "../notifier.js";

/**
 * Alertmanager's `POST /api/v2/alerts` body for a message. Firing alerts get
 * `endsAt` = now + 4 resend intervals (as Prometheus does): Alertmanager
 * resolves an alert that is not re-sent before it, so this receiver repeats
 * every minute while anything fires. Resolved ones carry their resolve time.
 */
export function alertmanagerAlerts(
  message: AlertMessage,
  resendMs: number,
  now = Date.now(),
): unknown[] {
  return message.alerts.map((a) => ({
    labels: a.labels,
    annotations: a.annotations,
    startsAt: a.startsAt,
    endsAt: a.status === "firing" ? new Date(now + 4 * resendMs).toISOString() : a.endsAt,
    generatorURL: a.generatorURL,
  }));
}

/**
 * Pushes alerts to a real Alertmanager (`/api/v2/alerts`), which then does
 * its own grouping, silencing and routing: so this receiver gets every
 * change at once (no group wait) and repeats firing alerts every `resendMs`
 * (default 1 minute) to keep them alive there.
 *
 * @example
 * alertmanagerNotifier({ url: config.OPSKIT_ALERTS_ALERTMANAGER_URL })
 */
export function alertmanagerNotifier(options: {
  url: string;
  name?: string;
  resendMs?: number;
  severities?: readonly string[];
}): Notifier {
  const name = options.name ?? "alertmanager";
  const resendMs = options.resendMs ?? 60_000;
  const endpoint = `${options.url.replace(/\/+$/, "")}/api/v2/alerts`;
  return {
    name,
    severities: options.severities,
    timing: { groupWaitMs: 0, groupIntervalMs: 0, repeatIntervalMs: resendMs },
    async send(message, ctx) {
      await postOrThrow(name, endpoint, {
        body: JSON.stringify(alertmanagerAlerts(message, resendMs)),
        headers: { "content-type": "application/json" },
        signal: ctx.signal,
      });
    },
  };
}
