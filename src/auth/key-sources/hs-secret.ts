import { OpskitError } from "../../errors.js";
import { HMAC_ALGORITHMS, type KeySource } from "../key-source.js";

/** RFC 7518 §3.2: an HMAC key at least as long as the hash; 32 bytes for HS256. */
export const MIN_HS_SECRET_BYTES = 32;

export interface HsSecretOptions {
  /** Default `["HS256"]`. */
  algorithms?: readonly (typeof HMAC_ALGORITHMS)[number][];
}

/**
 * A shared HMAC secret (Supabase's legacy JWT secret, a service's own
 * tokens). jose accepts any length — a 1-byte secret verifies — so a secret
 * under 32 bytes is refused here; the message gives its length, never the
 * secret.
 *
 * @example
 * const source = hsSecretSource(process.env.SUPABASE_JWT_SECRET!);
 */
export function hsSecretSource(
  secret: string | Uint8Array,
  options: HsSecretOptions = {},
): KeySource {
  const bytes = typeof secret === "string" ? new TextEncoder().encode(secret) : secret;
  if (bytes.length < MIN_HS_SECRET_BYTES) {
    throw new OpskitError(
      "AUTH_CONFIG_INVALID",
      `The HS secret is ${bytes.length} bytes; at least ${MIN_HS_SECRET_BYTES} are required (openssl rand -base64 48).`,
    );
  }
  const algorithms = options.algorithms ?? ["HS256"];
  for (const alg of algorithms) {
    if (!(HMAC_ALGORITHMS as readonly string[]).includes(alg)) {
      throw new OpskitError("AUTH_CONFIG_INVALID", `${alg} is not an HMAC algorithm.`);
    }
  }
  // A copy: the caller's buffer may be reused or zeroed.
  const key = Uint8Array.from(bytes);
  return Object.freeze({
    kind: "secret" as const,
    algorithms: Object.freeze([...algorithms]),
    getKey: () => Promise.resolve(key),
  });
}
