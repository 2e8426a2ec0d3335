import { ENVELOPE_VERSION, type SecretBox } from "../secrets/index.js";
import { OpskitError } from "../errors.js";

/** Where endpoint secrets live (the place an encrypted value is bound to). */
export const ENDPOINT_SECRET_TABLE = "opskit.outbox_endpoints";

/** Encrypts a secret for storage when a box is configured; otherwise stores it as is. */
export function sealSecret(
  box: SecretBox | undefined,
  endpoint: string,
  column: "secret" | "previous_secret",
  secret: string,
): string {
  return box ? box.encrypt(secret, { table: ENDPOINT_SECRET_TABLE, column, id: endpoint }) : secret;
}

/** A stored secret in clear; an encrypted one without a box is a configuration error. */
export function openSecret(
  box: SecretBox | undefined,
  endpoint: string,
  column: "secret" | "previous_secret",
  stored: string,
): string {
  if (!stored.startsWith(`${ENVELOPE_VERSION}.`)) return stored;
  if (!box) {
    throw new OpskitError(
      "SECRETS_CONFIG_INVALID",
      `The ${column} of outbox endpoint "${endpoint}" is encrypted but OPSKIT_SECRET_KEYS is not set in this process.`,
    );
  }
  return box.decrypt(stored, { table: ENDPOINT_SECRET_TABLE, column, id: endpoint });
}
