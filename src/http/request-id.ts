import { randomUUID } from "node:crypto";

/** Longest `X-Request-Id` taken from a client; longer ones are replaced. */
export const MAX_REQUEST_ID_LENGTH = 128;
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:@/+=-]+$/;

/**
 * The request id for a request: the client's `X-Request-Id` when it is short
 * and made of safe characters (so it cannot forge log fields or split
 * headers), otherwise a new UUID.
 *
 * @example
 * resolveRequestId("abc-123"); // "abc-123"
 * resolveRequestId("bad\nid"); // "5f0c…" (generated)
 */
export function resolveRequestId(header: string | undefined): string {
  if (
    header !== undefined &&
    header.length > 0 &&
    header.length <= MAX_REQUEST_ID_LENGTH &&
    SAFE_REQUEST_ID.test(header)
  ) {
    return header;
  }
  return randomUUID();
}
