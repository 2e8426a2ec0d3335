import { createHmac } from "node:crypto";
import { OpskitError } from "../../errors.js";
import { postOrThrow, type Notifier } from "../notifier.js";

/**
 * Standard Webhooks signature headers for `body`: `webhook-id`,
 * `webhook-timestamp` (seconds) and `webhook-signature` = `v1,` +
 * base64(HMAC-SHA256(secret, "id.timestamp.body")), the secret being the
 * base64 after `whsec_`.
 */
export function standardWebhookHeaders(
  secret: string,
  id: string,
  body: string,
  timestampSeconds = Math.floor(Date.now() / 1000),
): Record<string, string> {
  if (!secret.startsWith("whsec_")) {
    throw new OpskitError(
      "ALERT_RULE_INVALID",
      "The webhook secret must start with whsec_ (Standard Webhooks).",
    );
  }
  const key = Buffer.from(secret.slice("whsec_".length), "base64");
  const signature = createHmac("sha256", key)
    .update(`${id}.${timestampSeconds}.${body}`)
    .digest("base64");
  return {
    "webhook-id": id,
    "webhook-timestamp": String(timestampSeconds),
    "webhook-signature": `v1,${signature}`,
  };
}

/**
 * A generic webhook carrying Alertmanager's webhook payload (version "4")
 * unchanged, so any Alertmanager webhook consumer takes it, signed per
 * Standard Webhooks when a `whsec_` secret is given. The `webhook-id` is the
 * notification's id: a retry carries the same one and the receiver can
 * dedupe on it.
 *
 * @example
 * webhookNotifier({ url: config.OPSKIT_ALERTS_WEBHOOK_URL, secret: config.OPSKIT_ALERTS_WEBHOOK_SECRET })
 */
export function webhookNotifier(options: {
  url: string;
  secret?: string | undefined;
  name?: string;
  severities?: readonly string[];
}): Notifier {
  const name = options.name ?? "webhook";
  if (options.secret !== undefined) standardWebhookHeaders(options.secret, "check", "");
  return {
    name,
    severities: options.severities,
    async send(message, ctx) {
      const body = JSON.stringify(message);
      const id = `msg_opskit_alert_${ctx.notificationId}`;
      await postOrThrow(name, options.url, {
        body,
        headers: {
          "content-type": "application/json",
          ...(options.secret === undefined
            ? { "webhook-id": id }
            : standardWebhookHeaders(options.secret, id, body)),
        },
        signal: ctx.signal,
      });
    },
  };
}
