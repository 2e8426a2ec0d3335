import { createHash } from "node:crypto";
import { postOrThrow, type AlertMessage, type Notifier } from "../notifier.js";

export const PAGERDUTY_EVENTS_URL = "https://events.pagerduty.com/v2/enqueue";

const SEVERITY: Record<string, string> = {
  critical: "critical",
  warning: "warning",
  info: "info",
  none: "info",
};

/** The Events API v2 event for a group: trigger while firing, resolve after; one dedup_key per group. */
export function pagerDutyEvent(message: AlertMessage, routingKey: string): Record<string, unknown> {
  // Alertmanager's choice: the dedup key is a hash of the group key, so the
  // trigger and its resolve (and every repeat) name the same PagerDuty alert.
  const dedupKey = createHash("sha256").update(message.groupKey).digest("hex");
  if (message.status === "resolved") {
    return { routing_key: routingKey, event_action: "resolve", dedup_key: dedupKey };
  }
  const firing = message.alerts.filter((a) => a.status === "firing");
  const first = firing[0] ?? message.alerts[0];
  const summary = `[FIRING:${firing.length}] ${message.groupLabels.alertname ?? ""} ${
    message.commonAnnotations.summary ?? first?.annotations.summary ?? ""
  }`.trim();
  const runbook = message.commonAnnotations.runbook_url ?? first?.annotations.runbook_url;
  return {
    routing_key: routingKey,
    event_action: "trigger",
    dedup_key: dedupKey,
    client: "opskit",
    ...(message.externalURL ? { client_url: message.externalURL } : {}),
    payload: {
      summary: summary.slice(0, 1024),
      source: first?.labels.instance ?? message.externalURL ?? "opskit",
      severity: SEVERITY[message.commonLabels.severity ?? ""] ?? "error",
      timestamp: first?.startsAt,
      group: message.groupLabels.alertname,
      custom_details: {
        firing: firing.map((a) => ({ labels: a.labels, summary: a.annotations.summary })),
        group_key: message.groupKey,
      },
    },
    ...(runbook ? { links: [{ href: runbook, text: "Runbook" }] } : {}),
  };
}

/**
 * PagerDuty Events API v2: trigger and resolve with a stable `dedup_key`
 * (sha256 of the group key). 202 is accepted; 400 is not retried; 429, 5xx
 * and network errors are retried with backoff. Pages people: only critical
 * alerts by default.
 *
 * @example
 * pagerDutyNotifier({ routingKey: config.OPSKIT_ALERTS_PAGERDUTY_ROUTING_KEY })
 */
export function pagerDutyNotifier(options: {
  routingKey: string;
  url?: string;
  name?: string;
  severities?: readonly string[];
}): Notifier {
  const name = options.name ?? "pagerduty";
  return {
    name,
    severities: options.severities ?? ["critical"],
    async send(message, ctx) {
      await postOrThrow(name, options.url ?? PAGERDUTY_EVENTS_URL, {
        body: JSON.stringify(pagerDutyEvent(message, options.routingKey)),
        headers: { "content-type": "application/json" },
        signal: ctx.signal,
      });
    },
  };
}
