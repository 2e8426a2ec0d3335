import { maskedSecretId } from "../log/index.js";

/**
 * The last four characters behind a mask (`••••4242`), for a screen where
 * the owner recognises their own card or key. Values shorter than 12
 * characters are masked whole: four of eight would be half the secret.
 *
 * @example
 * lastFour("sk_live_51H…4242"); // "••••4242"
 */
export function lastFour(value: string): string {
  return value.length < 12 ? "••••" : `••••${value.slice(-4)}`;
}

/**
 * A short, stable id of a high-entropy secret (a key, a token): the first 8
 * hex digits of its SHA-256, so two of them (old and new in a rotation) can
 * be told apart without showing either. Not for passwords: a short hash of a
 * guessable value can be guessed.
 *
 * @example
 * fingerprint(key); // "sha256:3f9c2e1a"
 */
export function fingerprint(value: string | Buffer): string {
  return maskedSecretId(value);
}
