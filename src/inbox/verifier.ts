import { createHmac, timingSafeEqual } from "node:crypto";
import { OpskitError } from "../errors.js";

/**
 * A webhook request as a verifier sees it: the exact bytes received (never a
 * re-serialised JSON value) and the headers.
 */
export interface WebhookRequest {
  /** The raw request body, byte for byte as received. */
  readonly body: Buffer;
  /** A header's value by name (any case), or undefined when absent. */
  header(name: string): string | undefined;
  /** The time of receipt in ms since the epoch (tests pass a fixed clock). */
  readonly receivedAt: number;
}

/** Why a request failed verification. Logged and counted, never sent to the client. */
export type VerifyFailureReason =
  | "missing_signature"
  | "malformed_signature"
  | "bad_signature"
  | "missing_header"
  | "stale_timestamp"
  | "future_timestamp"
  | "unknown_account";

export type Verification =
  | {
      ok: true;
      /** Which of the active secrets matched (0 = the first): tells when an old one is still in use. */
      secretIndex: number;
      /** The signed timestamp, for schemes that sign one. */
      signedAt?: Date;
    }
  | { ok: false; reason: VerifyFailureReason; detail: string };

/**
 * Where an event's dedupe key, topic or ordering key comes from: a header, or
 * a dotted path into the JSON body (`id`, `data.object.id`, `items.0.sku`).
 */
export type KeyRule = { header: string } | { json: string };

/**
 * A provider's signature scheme plus what it says about its events: which
 * header or body field identifies a delivery (the dedupe key) and names its
 * topic, and whether the body must be JSON.
 *
 * @example
 * const verifier = githubVerifier({ secrets: [process.env.GITHUB_WEBHOOK_SECRET!] });
 * const outcome = verifier.verify({ body, header: (n) => headers.get(n) ?? undefined, receivedAt: Date.now() });
 */
export interface Verifier {
  /** `shopify`, `stripe`, `github`, `standard-webhooks`, `svix`, `hmac`. */
  readonly kind: string;
  /** Headers carrying signatures: their values are masked when the event's headers are stored. */
  readonly signatureHeaders: readonly string[];
  /** True when the provider always sends JSON (a non-JSON body is stored as rejected). */
  readonly json: boolean;
  /** The provider's delivery id (default dedupe key). */
  readonly dedupeKey: KeyRule;
  /** The provider's event type, when it has one. */
  readonly topic: KeyRule | undefined;
  /** Masked ids of the active secrets (`sha256:3f9c2e1a`), in order, for the console; never the secrets. */
  readonly secretIds?: readonly string[];
  verify(request: WebhookRequest): Verification;
}

/** Default clock-skew tolerance of timestamped schemes, in seconds (Stripe's and Standard Webhooks'). */
export const DEFAULT_TOLERANCE_SECONDS = 300;

export type HmacAlgorithm = "sha1" | "sha256" | "sha512";
export type SignatureEncoding = "hex" | "base64";

const HEX = /^[0-9a-fA-F]+$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const DIGEST_BYTES: Record<HmacAlgorithm, number> = { sha1: 20, sha256: 32, sha512: 64 };

/** HMAC of the concatenated parts (strings as UTF-8, buffers as is). */
export function hmac(algorithm: HmacAlgorithm, key: string | Buffer, parts: (string | Buffer)[]) {
  const mac = createHmac(algorithm, key);
  for (const part of parts) mac.update(part);
  return mac.digest();
}

/**
 * Decodes a signature as sent. Node's decoders silently skip bad characters,
 * which would let a malformed header compare against a shorter prefix; a
 * strict pattern check and the digest length come first. Undefined when
 * malformed.
 */
export function decodeSignature(
  text: string,
  encoding: SignatureEncoding,
  algorithm: HmacAlgorithm,
): Buffer | undefined {
  const pattern = encoding === "hex" ? HEX : BASE64;
  if (!pattern.test(text)) return undefined;
  const bytes = Buffer.from(text, encoding);
  return bytes.length === DIGEST_BYTES[algorithm] ? bytes : undefined;
}

/**
 * Constant-time equality of two digests. Lengths are compared first (a
 * digest's length is public: it follows from the algorithm).
 */
export function digestsEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Tries every active secret against every signature the request carries:
 * rotation (old and new secret both valid) and providers that send several
 * signatures at once (Stripe's `v1=…,v1=…`, Standard Webhooks' list) are the
 * same loop. Every comparison is constant-time; the loop does not stop
 * early on a match, so timing does not tell which secret matched.
 */
export function matchSecret(
  secrets: readonly (string | Buffer)[],
  signatures: readonly Buffer[],
  expected: (secret: string | Buffer) => Buffer,
): Verification {
  let matched = -1;
  for (const [index, secret] of secrets.entries()) {
    const digest = expected(secret);
    for (const signature of signatures) {
      if (digestsEqual(digest, signature) && matched === -1) matched = index;
    }
  }
  if (matched === -1) {
    return {
      ok: false,
      reason: "bad_signature",
      detail: `no signature matched any of the ${secrets.length} active secret(s)`,
    };
  }
  return { ok: true, secretIndex: matched };
}

/**
 * Checks a signed Unix timestamp (seconds) against the receipt time, in both
 * directions: older than the tolerance is a replay, newer is a forged or
 * badly skewed clock.
 */
export function checkTimestamp(
  text: string | undefined,
  receivedAt: number,
  toleranceSeconds: number,
  header: string,
): { ok: true; signedAt: Date } | { ok: false; reason: VerifyFailureReason; detail: string } {
  if (text === undefined || !/^\d{1,12}$/.test(text)) {
    return {
      ok: false,
      reason: "missing_header",
      detail: `${header} is missing or not a Unix timestamp`,
    };
  }
  const seconds = Number(text);
  const skew = Math.floor(receivedAt / 1000) - seconds;
  if (skew > toleranceSeconds) {
    return {
      ok: false,
      reason: "stale_timestamp",
      detail: `signed ${skew} s before receipt; tolerance ${toleranceSeconds} s`,
    };
  }
  if (-skew > toleranceSeconds) {
    return {
      ok: false,
      reason: "future_timestamp",
      detail: `signed ${-skew} s after receipt; tolerance ${toleranceSeconds} s`,
    };
  }
  return { ok: true, signedAt: new Date(seconds * 1000) };
}

/**
 * Combines the timestamp check with the signature check in the order that
 * makes the logged reason true: a malformed timestamp first, then the
 * signature (which covers the timestamp), and only for a genuine signature
 * whether it is stale or from the future.
 */
export function signedInTime(
  time: ReturnType<typeof checkTimestamp>,
  match: () => Verification,
): Verification {
  if (!time.ok && time.reason === "missing_header") return time;
  const result = match();
  if (!result.ok) return result;
  if (!time.ok) return time;
  return { ...result, signedAt: time.signedAt };
}

/** Refuses an empty secret list at definition: a source with no secret would accept nothing. */
export function requireSecrets<S>(kind: string, secrets: readonly S[]): readonly S[] {
  if (secrets.length === 0 || secrets.some((s) => String(s).length === 0)) {
    throw new OpskitError(
      "INBOX_CONFIG_INVALID",
      `The ${kind} verifier has no secret: give at least one non-empty secret (list old and new while rotating).`,
    );
  }
  return Object.freeze([...secrets]);
}
