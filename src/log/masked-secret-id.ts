import { createHash } from "node:crypto";

/**
 * A short, stable id for a secret that does not reveal it: the first 8 hex
 * digits of its SHA-256 (`sha256:3f9c2e1a`). Lets an operator tell two
 * secrets (a rotation's old and new one) apart on a screen or in a log line.
 *
 * @example
 * maskedSecretId("whsec_…"); // "sha256:5d41402a"
 */
export function maskedSecretId(secret: string | Buffer): string {
  return `sha256:${createHash("sha256").update(secret).digest("hex").slice(0, 8)}`;
}
