import { maskedSecretId } from "../../log/index.js";
import {
  decodeSignature,
  hmac,
  matchSecret,
  requireSecrets,
  type Verification,
  type Verifier,
} from "../verifier.js";

export interface GithubVerifierOptions {
  /** The webhook secret(s); list old and new while rotating. */
  secrets: readonly string[];
}

const HEADER = "x-hub-signature-256";
const PREFIX = "sha256=";

/**
 * GitHub: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>`.
 * No signed timestamp: the dedupe key `X-GitHub-Delivery` (unchanged on
 * redelivery) is the only replay defence. The topic is `X-GitHub-Event`.
 *
 * @example
 * githubVerifier({ secrets: [process.env.GITHUB_WEBHOOK_SECRET!] });
 */
export function githubVerifier(options: GithubVerifierOptions): Verifier {
  const secrets = requireSecrets("github", options.secrets);
  return {
    kind: "github",
    secretIds: secrets.map((s) => maskedSecretId(s)),
    signatureHeaders: [HEADER, "x-hub-signature"],
    json: true,
    dedupeKey: { header: "x-github-delivery" },
    topic: { header: "x-github-event" },
    verify(request): Verification {
      const sent = request.header(HEADER)?.trim();
      if (!sent) return { ok: false, reason: "missing_signature", detail: `${HEADER} absent` };
      const signature = sent.startsWith(PREFIX)
        ? decodeSignature(sent.slice(PREFIX.length), "hex", "sha256")
        : undefined;
      if (!signature) {
        return { ok: false, reason: "malformed_signature", detail: `expected ${PREFIX}<64 hex>` };
      }
      return matchSecret(secrets, [signature], (secret) => hmac("sha256", secret, [request.body]));
    },
  };
}
