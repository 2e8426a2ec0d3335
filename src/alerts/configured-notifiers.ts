import type { Notifier } from "./notifier.js";
import { alertmanagerNotifier } from "./notifiers/alertmanager.js";
import { pagerDutyNotifier } from "./notifiers/pagerduty.js";
import { slackNotifier } from "./notifiers/slack.js";
import { webhookNotifier } from "./notifiers/webhook.js";

/** The alerting variables of the base manifest (docs/config.md). */
export interface AlertsConfig {
  OPSKIT_ALERTS_SLACK_WEBHOOK_URL?: string | undefined;
  OPSKIT_ALERTS_PAGERDUTY_ROUTING_KEY?: string | undefined;
  OPSKIT_ALERTS_PAGERDUTY_URL?: string | undefined;
  OPSKIT_ALERTS_WEBHOOK_URL?: string | undefined;
  OPSKIT_ALERTS_WEBHOOK_SECRET?: string | undefined;
  OPSKIT_ALERTS_ALERTMANAGER_URL?: string | undefined;
}

/**
 * The notifiers the configuration names, one per variable set: what the
 * alerts part sends through and what `opskit alerts test` tries.
 */
export function configuredNotifiers(config: AlertsConfig): Notifier[] {
  const out: Notifier[] = [];
  if (config.OPSKIT_ALERTS_SLACK_WEBHOOK_URL)
    out.push(slackNotifier({ url: config.OPSKIT_ALERTS_SLACK_WEBHOOK_URL }));
  if (config.OPSKIT_ALERTS_PAGERDUTY_ROUTING_KEY) {
    out.push(
      pagerDutyNotifier({
        routingKey: config.OPSKIT_ALERTS_PAGERDUTY_ROUTING_KEY,
        ...(config.OPSKIT_ALERTS_PAGERDUTY_URL ? { url: config.OPSKIT_ALERTS_PAGERDUTY_URL } : {}),
      }),
    );
  }
  if (config.OPSKIT_ALERTS_WEBHOOK_URL) {
    out.push(
      webhookNotifier({
        url: config.OPSKIT_ALERTS_WEBHOOK_URL,
        secret: config.OPSKIT_ALERTS_WEBHOOK_SECRET,
      }),
    );
  }
  if (config.OPSKIT_ALERTS_ALERTMANAGER_URL) {
    out.push(alertmanagerNotifier({ url: config.OPSKIT_ALERTS_ALERTMANAGER_URL }));
  }
  return out;
}
