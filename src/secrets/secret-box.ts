import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";
import { OpskitError } from "../errors.js";
import type { KeyRing } from "./key-ring.js";
import { secretValue, type SecretValue } from "./secret-value.js";

/** Where a value lives: it decrypts only there. */
export interface SecretPlace {
  table: string;
  column: string;
  /** The row's id, as Postgres prints it (`id::text`): what rotation binds it to. */
  id: string | number | bigint;
}

/** The ciphertext's version tag: `okv1.<keyId>.<payload>`. */
export const ENVELOPE_VERSION = "okv1";
const SALT = 16;
const NONCE = 12;
const TAG = 16;
const INFO = Buffer.from("opskit/secrets okv1 data key");

export interface SecretBox {
  /** The primary key's id (what `encrypt` uses). */
  readonly primaryKeyId: string;
  /** `okv1.<keyId>.<base64url(salt ‖ nonce ‖ ciphertext ‖ tag)>`, bound to `place`. */
  encrypt(plaintext: string | Buffer, place: SecretPlace): string;
  /** The text; throws `SECRET_KEY_UNKNOWN` or `SECRET_DECRYPT_FAILED`, never returns the stored text. */
  decrypt(ciphertext: string, place: SecretPlace): string;
  /** `decrypt` wrapped in a value that cannot be logged. */
  open(ciphertext: string, place: SecretPlace): SecretValue;
  /** The key id a ciphertext names, or undefined when it is not an envelope. */
  keyIdOf(ciphertext: string): string | undefined;
}

/**
 * AES-256-GCM envelopes over a key ring. Each value gets its own data key,
 * derived with HKDF-SHA-256 from the ring key and a fresh random salt, and a
 * fresh nonce, so no data key ever sees a second message (the 2^32 random-
 * nonce limit of one GCM key does not apply). The associated data binds the
 * version, key id, table, column and row id: a ciphertext copied to another
 * row, column or table fails authentication. The key id is in clear in the
 * envelope, so decryption picks its key instead of trying each.
 *
 * @example
 * const box = createSecretBox(createKeyRing(config.OPSKIT_SECRET_KEYS!));
 * const stored = box.encrypt(apiKey, { table: "stores", column: "api_key", id: store.id });
 * const apiKey = box.open(row.api_key, { table: "stores", column: "api_key", id: row.id });
 */
export function createSecretBox(ring: KeyRing): SecretBox {
  function fail(place: SecretPlace, why: string, cause?: unknown): OpskitError {
    return new OpskitError(
      "SECRET_DECRYPT_FAILED",
      `The secret in ${place.table}.${place.column} of row ${String(place.id)} ${why}; it was not returned.`,
      {
        details: { table: place.table, column: place.column, id: String(place.id) },
        ...(cause === undefined ? {} : { cause }),
      },
    );
  }
  const aad = (keyId: string, place: SecretPlace) =>
    Buffer.from(
      JSON.stringify([ENVELOPE_VERSION, keyId, place.table, place.column, String(place.id)]),
    );
  const dataKey = (key: Buffer, salt: Buffer) =>
    Buffer.from(hkdfSync("sha256", key, salt, INFO, 32));

  function decrypt(ciphertext: string, place: SecretPlace): string {
    const [version, keyId, payload, extra] = ciphertext.split(".");
    if (version !== ENVELOPE_VERSION || !keyId || !payload || extra !== undefined) {
      throw fail(place, "is not an okv1 envelope");
    }
    const key = ring.get(keyId);
    if (!key) {
      throw new OpskitError(
        "SECRET_KEY_UNKNOWN",
        `The secret in ${place.table}.${place.column} of row ${String(place.id)} is under key ${keyId}, which OPSKIT_SECRET_KEYS no longer holds.`,
        { details: { table: place.table, column: place.column, id: String(place.id), keyId } },
      );
    }
    const bytes = Buffer.from(payload, "base64url");
    if (bytes.length < SALT + NONCE + TAG) throw fail(place, "is truncated");
    const salt = bytes.subarray(0, SALT);
    const nonce = bytes.subarray(SALT, SALT + NONCE);
    const body = bytes.subarray(SALT + NONCE, bytes.length - TAG);
    // authTagLength: without it Node accepts a tag cut down to 4 bytes.
    const decipher = createDecipheriv("aes-256-gcm", dataKey(key.key, salt), nonce, {
      authTagLength: TAG,
    });
    decipher.setAAD(aad(keyId, place));
    decipher.setAuthTag(bytes.subarray(bytes.length - TAG));
    try {
      return Buffer.concat([decipher.update(body), decipher.final()]).toString("utf8");
    } catch (thrown) {
      throw fail(
        place,
        "failed authentication (altered, truncated, or copied from another place)",
        thrown,
      );
    }
  }

  return {
    primaryKeyId: ring.primary.id,
    encrypt(plaintext, place) {
      const salt = randomBytes(SALT + NONCE);
      const nonce = salt.subarray(SALT);
      const cipher = createCipheriv(
        "aes-256-gcm",
        dataKey(ring.primary.key, salt.subarray(0, SALT)),
        nonce,
        {
          authTagLength: TAG,
        },
      );
      cipher.setAAD(aad(ring.primary.id, place));
      const body = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
      return `${ENVELOPE_VERSION}.${ring.primary.id}.${Buffer.concat([salt, body]).toString("base64url")}`;
    },
    decrypt,
    open: (ciphertext, place) => secretValue(decrypt(ciphertext, place)),
    keyIdOf(ciphertext) {
      const [version, keyId] = ciphertext.split(".", 2);
      return version === ENVELOPE_VERSION && keyId ? keyId : undefined;
    },
  };
}
