import { inspect } from "node:util";
import { REDACTED } from "../log/index.js";

/**
 * A decrypted value that cannot be logged by accident: JSON (pino's
 * serialisation and the log redactor, which honour `toJSON`), string
 * conversion and `util.inspect` all give `[REDACTED]`. Only `reveal()` gives
 * the text, so every place that uses the secret says so.
 */
export interface SecretValue {
  reveal(): string;
  toString(): string;
  toJSON(): string;
}

/**
 * Wraps a secret text.
 *
 * @example
 * const apiKey = secretValue(box.decrypt(row.api_key, place));
 * log.info({ apiKey }, "calling");       // {"apiKey":"[REDACTED]",…}
 * await fetch(url, { headers: { authorization: `Bearer ${apiKey.reveal()}` } });
 */
export function secretValue(text: string): SecretValue {
  return Object.freeze({
    reveal: () => text,
    toString: () => REDACTED,
    toJSON: () => REDACTED,
    [inspect.custom]: () => `SecretValue(${REDACTED})`,
  });
}
