import { createHmac } from "node:crypto";
import { OpskitError } from "../errors.js";

const SECRET = /^whsec_([A-Za-z0-9+/]+={0,2})$/;

/** Checks a Standard Webhooks secret (`whsec_` + base64 of 24 to 64 bytes); returns it. */
export function checkWebhookSecret(secret: string): string {
  const m = SECRET.exec(secret);
  const bytes = m ? Buffer.from(m[1]!, "base64").length : 0;
  if (!m || bytes < 24 || bytes > 64) {
    throw new OpskitError(
      "OUTBOX_EVENT_INVALID",
      "An endpoint secret must be whsec_ followed by the base64 of 24 to 64 random bytes (e.g. `whsec_$(openssl rand -base64 32)`).",
    );
  }
  return secret;
}

/**
 * The Standard Webhooks signature headers of one message
 * (https://www.standardwebhooks.com): `webhook-id`, `webhook-timestamp` (unix
 * seconds) and `webhook-signature`, `v1,<base64 HMAC-SHA256 of
 * "id.timestamp.body">` under each secret, space-separated: during a
 * rotation the message carries both, so a receiver holding either verifies.
 */
export function signWebhook(
  secrets: readonly string[],
  id: string,
  timestamp: number,
  body: string,
): Record<string, string> {
  const content = `${id}.${timestamp}.${body}`;
  const signatures = secrets.map((secret) => {
    const key = Buffer.from(checkWebhookSecret(secret).slice("whsec_".length), "base64");
    return `v1,${createHmac("sha256", key).update(content).digest("base64")}`;
  });
  return {
    "webhook-id": id,
    "webhook-timestamp": String(timestamp),
    "webhook-signature": signatures.join(" "),
  };
}
