import { maskedSecretId } from "../../log/index.js";
import { OpskitError } from "../../errors.js";
import {
  checkTimestamp,
  decodeSignature,
  DEFAULT_TOLERANCE_SECONDS,
  hmac,
  matchSecret,
  requireSecrets,
  signedInTime,
  type Verification,
  type Verifier,
} from "../verifier.js";

export interface StandardWebhooksVerifierOptions {
  /** `whsec_<base64>` secrets (the prefix is optional); list old and new while rotating. */
  secrets: readonly string[];
  /** Largest clock difference accepted, in seconds, either way; default 300. */
  toleranceSeconds?: number;
  /**
   * Header names: `webhook` (default: `webhook-id`, `webhook-timestamp`,
   * `webhook-signature`) or `svix` (`svix-id`, …: Svix unless white-labelled).
   */
  headerPrefix?: "webhook" | "svix";
}

const SECRET_PREFIX = "whsec_";

/**
 * Standard Webhooks 1.0: the signed content is `<id>.<timestamp>.<raw body>`;
 * `<prefix>-signature` is a space-separated list of `v1,<base64 HMAC-SHA256>`
 * (other versions, such as the asymmetric `v1a`, are skipped) and any entry
 * may match; the timestamp must be within the tolerance both ways. Dedupe on
 * the message id; the topic is the body's `type`.
 *
 * @example
 * standardWebhooksVerifier({ secrets: ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"] });
 */
export function standardWebhooksVerifier(options: StandardWebhooksVerifierOptions): Verifier {
  const prefix = options.headerPrefix ?? "webhook";
  const kind = prefix === "svix" ? "svix" : "standard-webhooks";
  const keys = requireSecrets(kind, options.secrets).map((secret) => decodeSecret(kind, secret));
  const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  const idHeader = `${prefix}-id`;
  const timestampHeader = `${prefix}-timestamp`;
  const signatureHeader = `${prefix}-signature`;
  return {
    kind,
    secretIds: options.secrets.map((s) => maskedSecretId(s)),
    signatureHeaders: [signatureHeader],
    json: true,
    dedupeKey: { header: idHeader },
    topic: { json: "type" },
    verify(request): Verification {
      const sent = request.header(signatureHeader);
      if (!sent) {
        return { ok: false, reason: "missing_signature", detail: `${signatureHeader} absent` };
      }
      const id = request.header(idHeader);
      // The id is part of the signed content, separated by dots: one with a dot is ambiguous.
      if (!id || id.includes(".")) {
        return { ok: false, reason: "missing_header", detail: `${idHeader} missing or invalid` };
      }
      const signatures: Buffer[] = [];
      for (const entry of sent.split(" ")) {
        const [version, value] = entry.split(",", 2);
        if (version !== "v1" || value === undefined) continue;
        const signature = decodeSignature(value, "base64", "sha256");
        if (signature) signatures.push(signature);
      }
      if (signatures.length === 0) {
        return { ok: false, reason: "missing_signature", detail: "no valid v1 signature" };
      }
      const timestamp = request.header(timestampHeader);
      const time = checkTimestamp(timestamp, request.receivedAt, tolerance, timestampHeader);
      return signedInTime(time, () =>
        matchSecret(keys, signatures, (key) =>
          hmac("sha256", key, [`${id}.${timestamp}.`, request.body]),
        ),
      );
    },
  };
}

/**
 * Svix: the Standard Webhooks scheme under `svix-id`, `svix-timestamp` and
 * `svix-signature`.
 *
 * @example
 * svixVerifier({ secrets: [process.env.CLERK_WEBHOOK_SECRET!] });
 */
export function svixVerifier(options: Omit<StandardWebhooksVerifierOptions, "headerPrefix">) {
  return standardWebhooksVerifier({ ...options, headerPrefix: "svix" });
}

function decodeSecret(kind: string, secret: string): Buffer {
  const base64 = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  const key = /^[A-Za-z0-9+/]+={0,2}$/.test(base64) ? Buffer.from(base64, "base64") : undefined;
  // The spec asks for 24 to 64 random bytes; fewer than 16 is a typo, not a key.
  if (!key || key.length < 16) {
    throw new OpskitError(
      "INBOX_CONFIG_INVALID",
      `A ${kind} secret is not whsec_<base64> of at least 16 bytes; copy it again from the sender.`,
    );
  }
  return key;
}
