import { OpskitError } from "../errors.js";

/** One key of the ring: an id named in every ciphertext it makes, and 32 bytes. */
export interface SecretKey {
  readonly id: string;
  readonly key: Buffer;
}

/** The keys that decrypt, the first of which encrypts. */
export interface KeyRing {
  /** The key new values are encrypted under. */
  readonly primary: SecretKey;
  /** Every id, primary first. */
  readonly ids: readonly string[];
  /** The key with this id, or undefined (the value then cannot be decrypted). */
  get(id: string): SecretKey | undefined;
}

const ID = /^[A-Za-z0-9_-]{1,32}$/;

/**
 * Parses `OPSKIT_SECRET_KEYS` (`id:base64key,…`, the first encrypts, all
 * decrypt) or a list of keys. Keys must be exactly 32 bytes (AES-256) and ids
 * unique; messages name the position, never a key.
 *
 * @example
 * const ring = createKeyRing(config.OPSKIT_SECRET_KEYS); // "k2026:base64…,k2025:base64…"
 */
export function createKeyRing(keys: string | readonly SecretKey[]): KeyRing {
  const list =
    typeof keys === "string"
      ? keys
          .split(",")
          .map((item) => item.trim())
          .filter(Boolean)
          .map((item, index) => {
            const colon = item.indexOf(":");
            return {
              id: colon < 0 ? `#${index + 1}` : item.slice(0, colon),
              key: Buffer.from(colon < 0 ? "" : item.slice(colon + 1), "base64"),
            };
          })
      : keys;
  if (list.length === 0) {
    throw new OpskitError(
      "SECRETS_CONFIG_INVALID",
      "The key ring is empty: set OPSKIT_SECRET_KEYS.",
    );
  }
  const byId = new Map<string, SecretKey>();
  for (const [index, entry] of list.entries()) {
    if (!ID.test(entry.id) || entry.key.length !== 32) {
      throw new OpskitError(
        "SECRETS_CONFIG_INVALID",
        `Key ${index + 1} of the ring is not id:base64key with a 1-32 character id and a 32-byte key (openssl rand -base64 32).`,
      );
    }
    if (byId.has(entry.id)) {
      throw new OpskitError(
        "SECRETS_CONFIG_INVALID",
        `Key id ${entry.id} appears twice in the ring.`,
      );
    }
    byId.set(entry.id, Object.freeze({ id: entry.id, key: Buffer.from(entry.key) }));
  }
  return Object.freeze({
    primary: byId.values().next().value as SecretKey,
    ids: Object.freeze([...byId.keys()]),
    get: (id: string) => byId.get(id),
  });
}
