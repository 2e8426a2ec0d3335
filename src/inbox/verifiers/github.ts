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
  /**
   * Store a body that is not JSON as rejected. Default false: a GitHub hook
   * may be set to `application/x-www-form-urlencoded` (`payload=<JSON>`), and
   * GitHub's own published test vector signs `Hello, World!`; the delivery id
   * and event are headers, so nothing needs the body to be JSON.
   */
  json?: boolean;
}

const HEADER = "x-hub-signature-256";
const PREFIX = "sha256=";

/**
 * GitHub: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>`.
 * No signed timestamp: the dedupe key `X-GitHub-Delivery` (unchanged on
 * redelivery) is the only replay defence. The topic is `X-GitHub-Event`.
 * Any body is accepted (see `json`): a JSON one is still parsed for the
 * handler (`event.json`).
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
    json: options.json ?? false,
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
