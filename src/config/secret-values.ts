import type { Manifest } from "./manifest.js";
import { urlPasswords } from "./url-passwords.js";

/**
 * The current values of every secret variable, for the logger to redact
 * wherever they appear. A URL's password is listed on its own as well (it can
 * show up without the rest of the URL), for every URL variable, secret or not.
 *
 * @example
 * const log = createLogger({ secrets: secretValues(manifest, config) });
 */
export function secretValues(manifest: Manifest, config: object): string[] {
  const found = new Set<string>();
  const values = config as Record<string, unknown>;
  for (const [name, declared] of Object.entries(manifest.vars)) {
    const value = values[name];
    const texts = (Array.isArray(value) ? value : [value]).filter(
      (item): item is string => typeof item === "string" && item !== "",
    );
    const urls = declared.kind === "url" || declared.item?.kind === "url";
    for (const text of texts) {
      if (declared.secret) found.add(text);
      if (urls) for (const password of urlPasswords(text)) found.add(password);
    }
  }
  return [...found];
}
