import { postOrThrow, type AlertMessage, type Notifier } from "../notifier.js";

// Slack's Block Kit limits (docs.slack.dev/block-kit): 50 blocks per message,
// 3000 characters per section text, 150 per header (plain text).
const MAX_BLOCKS = 50;
const MAX_SECTION = 3000;
const MAX_HEADER = 150;

const cut = (text: string, max: number) =>
  text.length <= max ? text : `${text.slice(0, max - 1)}…`;

/** The Block Kit message for a group: a header, one section per alert (as many as fit), a context line. */
export function slackMessage(message: AlertMessage): { text: string; blocks: unknown[] } {
  const firing = message.alerts.filter((a) => a.status === "firing").length;
  const name = message.groupLabels.alertname ?? message.commonLabels.alertname ?? "alerts";
  const title =
    message.status === "firing"
      ? `🔥 ${name}: ${firing} firing${message.commonLabels.severity ? ` (${message.commonLabels.severity})` : ""}`
      : `✅ ${name}: resolved`;
  const blocks: unknown[] = [
    { type: "header", text: { type: "plain_text", text: cut(title, MAX_HEADER), emoji: true } },
  ];
  // Room for the header, the context line, and a "more" line.
  const room = MAX_BLOCKS - 3;
  for (const alert of message.alerts.slice(0, room)) {
    const labels = Object.entries(alert.labels)
      .filter(([k]) => k !== "alertname" && k !== "severity")
      .map(([k, v]) => `${k}=${v}`)
      .join(", ");
    const runbook = alert.annotations.runbook_url
      ? `\n<${alert.annotations.runbook_url}|Runbook>`
      : "";
    const text = `*${alert.status === "firing" ? "FIRING" : "RESOLVED"}* ${alert.annotations.summary ?? ""}${
      labels ? `\n\`${labels}\`` : ""
    }${alert.annotations.description ? `\n${alert.annotations.description}` : ""}${runbook}`;
    blocks.push({ type: "section", text: { type: "mrkdwn", text: cut(text, MAX_SECTION) } });
  }
  if (message.alerts.length > room) {
    blocks.push({
      type: "section",
      text: { type: "mrkdwn", text: `…and ${message.alerts.length - room} more` },
    });
  }
  blocks.push({
    type: "context",
    elements: [
      {
        type: "mrkdwn",
        text: cut(`group ${message.groupKey} · ${message.externalURL}`, MAX_SECTION),
      },
    ],
  });
  return { text: cut(title, MAX_SECTION), blocks };
}

/**
 * Slack incoming webhook: `POST {text, blocks}`, answered `200 ok`. Slack
 * allows about one message per second per webhook and answers 429 with
 * Retry-After beyond, which the notification job honours; a 4xx such as
 * `invalid_payload` or `channel_is_archived` is not retried.
 *
 * @example
 * slackNotifier({ url: config.OPSKIT_ALERTS_SLACK_WEBHOOK_URL })
 */
export function slackNotifier(options: {
  url: string;
  name?: string;
  severities?: readonly string[];
}): Notifier {
  const name = options.name ?? "slack";
  return {
    name,
    // People read Slack: the Watchdog (severity none) is not for them.
    severities: options.severities ?? ["critical", "warning", "info"],
    async send(message, ctx) {
      await postOrThrow(name, options.url, {
        body: JSON.stringify(slackMessage(message)),
        headers: { "content-type": "application/json" },
        signal: ctx.signal,
      });
    },
  };
}
