import { maskedSecretId } from "../../log/index.js";
import { OpskitError } from "../../errors.js";
import {
  decodeSignature,
  hmac,
  matchSecret,
  requireSecrets,
  type HmacAlgorithm,
  type KeyRule,
  type SignatureEncoding,
  type Verification,
  type Verifier,
} from "../verifier.js";

export interface HmacVerifierOptions {
  /** Secret(s) used as UTF-8 keys; list old and new while rotating. */
  secrets: readonly string[];
  /** The header carrying the signature, e.g. `x-signature`. */
  header: string;
  /** Default `sha256`. */
  algorithm?: HmacAlgorithm;
  /** How the digest is written; default `hex`. */
  encoding?: SignatureEncoding;
  /** Text before the digest, e.g. `sha256=`; default none. */
  prefix?: string;
  /** Where the delivery id is: a header or a JSON path. Required: there is no universal one. */
  dedupeKey: KeyRule;
  topic?: KeyRule;
  /** The body must be JSON; default true. */
  json?: boolean;
}

const ALGORITHMS: readonly HmacAlgorithm[] = ["sha1", "sha256", "sha512"];

/**
 * A plain HMAC over the raw body, for providers without a built-in verifier.
 *
 * @example
 * hmacVerifier({ secrets: [SECRET], header: "x-signature", encoding: "base64", dedupeKey: { header: "x-delivery-id" } });
 */
export function hmacVerifier(options: HmacVerifierOptions): Verifier {
  const secrets = requireSecrets("hmac", options.secrets);
  const algorithm = options.algorithm ?? "sha256";
  const encoding = options.encoding ?? "hex";
  const prefix = options.prefix ?? "";
  if (!ALGORITHMS.includes(algorithm) || (encoding !== "hex" && encoding !== "base64")) {
    throw new OpskitError(
      "INBOX_CONFIG_INVALID",
      `The hmac verifier takes algorithm ${ALGORITHMS.join("|")} and encoding hex|base64.`,
    );
  }
  const header = options.header.toLowerCase();
  return {
    kind: "hmac",
    secretIds: secrets.map((s) => maskedSecretId(s)),
    signatureHeaders: [header],
    json: options.json ?? true,
    dedupeKey: options.dedupeKey,
    topic: options.topic,
    verify(request): Verification {
      const sent = request.header(header)?.trim();
      if (!sent) return { ok: false, reason: "missing_signature", detail: `${header} absent` };
      const signature = sent.startsWith(prefix)
        ? decodeSignature(sent.slice(prefix.length), encoding, algorithm)
        : undefined;
      if (!signature) {
        return {
          ok: false,
          reason: "malformed_signature",
          detail: `expected ${prefix}<${encoding} ${algorithm}>`,
        };
      }
      return matchSecret(secrets, [signature], (secret) => hmac(algorithm, secret, [request.body]));
    },
  };
}
