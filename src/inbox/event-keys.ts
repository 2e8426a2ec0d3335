import { jsonKeyText } from "./json-key-text.js";
import type { KeyRule } from "./verifier.js";

/** Longest dedupe, topic or ordering key stored; a longer one is not a key but a payload. */
export const MAX_KEY_LENGTH = 512;

// In a `u` regex a surrogate pair is one code point; only a lone half is in category Cs.
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * Reads a key by its rule: a header, or a dotted path into the JSON body
 * (`id`, `data.object.id`, `line_items.0.sku`). Only dotted paths, so a rule
 * is a stable name an operator can read and filter on; strings and numbers
 * qualify. A number is taken exactly as its text in the body (see
 * `jsonKeyText`): `820982911946154508` and `…509` are two keys, and `1e3`
 * is not `1000`. `json` is the body's text, already checked with
 * `JSON.parse` (undefined when it is not JSON). Undefined when absent,
 * empty, too long, holding a NUL (which Postgres text cannot store) or a
 * lone surrogate (which UTF-8 cannot).
 *
 * @example
 * readKey({ json: "data.object.id" }, header, '{"data":{"object":{"id":"pi_1"}}}'); // "pi_1"
 */
export function readKey(
  rule: KeyRule,
  header: (name: string) => string | undefined,
  json: string | Buffer | undefined,
): string | undefined {
  const raw =
    "header" in rule
      ? header(rule.header)
      : json === undefined
        ? undefined
        : jsonKeyText(json, rule.json);
  if (raw === undefined) return undefined;
  // A header's surrounding spaces are not part of it (HTTP strips them); a
  // JSON string's are: " 42" and "42" are two ids.
  const text = "header" in rule ? raw.trim() : raw;
  if (text === "" || text.length > MAX_KEY_LENGTH || text.includes("\u0000")) return undefined;
  // A lone surrogate ("\ud800" in a JSON string) has no UTF-8 form: stored as
  // text it would become U+FFFD, and two such ids one key.
  if (LONE_SURROGATE.test(text)) return undefined;
  return text;
}

/** Describes a rule for messages: `header x-github-delivery`, `JSON id`. */
export function describeRule(rule: KeyRule): string {
  return "header" in rule ? `header ${rule.header}` : `JSON ${rule.json}`;
}
