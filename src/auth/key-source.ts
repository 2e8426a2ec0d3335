import type { CryptoKey, FlattenedJWSInput, JWSHeaderParameters } from "jose";

/** The HMAC algorithms a shared secret may verify. */
export const HMAC_ALGORITHMS = ["HS256", "HS384", "HS512"] as const;
/** The asymmetric algorithms a JWKS may verify by default: the ones identity providers sign with. */
export const DEFAULT_JWKS_ALGORITHMS = ["ES256", "RS256", "EdDSA"] as const;
/** Every asymmetric algorithm a JWKS may be allowed (never an HMAC one: a JWKS is public). */
export const ASYMMETRIC_ALGORITHMS = [
  "ES256",
  "ES384",
  "ES512",
  "RS256",
  "RS384",
  "RS512",
  "PS256",
  "PS384",
  "PS512",
  "EdDSA",
  "Ed25519",
] as const;

/**
 * Where the verification key of a token comes from: a shared secret or a
 * JWKS. Each source names the only algorithms its keys may verify, so an
 * HS256 token is never checked against a public key (the RS→HS confusion of
 * CVE-2016-10555) and `none` is never in any list.
 */
export interface KeySource {
  readonly kind: "secret" | "jwks";
  /** The algorithms this source's keys verify; a token with any other `alg` never reaches it. */
  readonly algorithms: readonly string[];
  /** The key for a token's protected header (jose's `getKey` contract). */
  getKey(header: JWSHeaderParameters, token: FlattenedJWSInput): Promise<CryptoKey | Uint8Array>;
}
