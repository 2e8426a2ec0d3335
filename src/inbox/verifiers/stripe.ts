import { maskedSecretId } from "../../log/index.js";
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

export interface StripeVerifierOptions {
  /** The endpoint's signing secret(s) (`whsec_…`, used as is); list old and new while rotating. */
  secrets: readonly string[];
  /** Largest clock difference accepted, in seconds, either way; default 300. */
  toleranceSeconds?: number;
}

const HEADER = "stripe-signature";

/**
 * Stripe: `Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>…]`, each v1 the hex
 * HMAC-SHA256 of `<t>.<raw body>` keyed with the secret string; any v1 may
 * match (Stripe sends several while an endpoint secret is rolled); other
 * schemes (`v0`) are ignored. The timestamp must be within the tolerance;
 * unlike stripe-node, which only refuses old timestamps, a timestamp from
 * more than the tolerance in the future is refused too. Dedupe on the
 * event `id` in the body; the topic is its `type`.
 *
 * @example
 * stripeVerifier({ secrets: [process.env.STRIPE_WEBHOOK_SECRET!] });
 */
export function stripeVerifier(options: StripeVerifierOptions): Verifier {
  const secrets = requireSecrets("stripe", options.secrets);
  const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  return {
    kind: "stripe",
    secretIds: secrets.map((s) => maskedSecretId(s)),
    signatureHeaders: [HEADER],
    json: true,
    dedupeKey: { json: "id" },
    topic: { json: "type" },
    verify(request): Verification {
      const sent = request.header(HEADER);
      if (!sent) return { ok: false, reason: "missing_signature", detail: `${HEADER} absent` };
      let timestamp: string | undefined;
      const signatures: Buffer[] = [];
      for (const item of sent.split(",")) {
        const at = item.indexOf("=");
        const key = item.slice(0, at).trim();
        const value = item.slice(at + 1).trim();
        if (key === "t") timestamp = value;
        else if (key === "v1") {
          const signature = decodeSignature(value, "hex", "sha256");
          if (signature) signatures.push(signature);
        }
      }
      if (signatures.length === 0) {
        return { ok: false, reason: "missing_signature", detail: "no valid v1 signature" };
      }
      const time = checkTimestamp(timestamp, request.receivedAt, tolerance, `${HEADER} t=`);
      return signedInTime(time, () =>
        matchSecret(secrets, signatures, (secret) =>
          hmac("sha256", secret, [`${timestamp}.`, request.body]),
        ),
      );
    },
  };
}
