import { isSecretKey } from "../log/index.js";

/** What replaces a masked header value. */
export const MASKED = "[masked]";

/**
 * The headers to store with an event: names lower-cased, signature headers
 * and credentials (`authorization`, cookies, API keys, anything the log's
 * secret-key list names) masked. A signature is not a secret, but with the
 * body it lets anyone brute-force a weak signing secret offline. NULs are
 * dropped (jsonb cannot hold them); repeated headers are joined with ", ".
 */
export function maskHeaders(
  entries: Iterable<[string, string]>,
  signatureHeaders: readonly string[],
): Record<string, string> {
  const masked = new Set(signatureHeaders.map((h) => h.toLowerCase()));
  const out: Record<string, string> = {};
  for (const [rawName, rawValue] of entries) {
    const name = rawName.toLowerCase().replaceAll("\u0000", "");
    const value =
      masked.has(name) || isSecretKey(name) ? MASKED : rawValue.replaceAll("\u0000", "");
    out[name] = name in out ? `${out[name]}, ${value}` : value;
  }
  return out;
}
