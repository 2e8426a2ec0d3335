import type { KeyRule } from "./verifier.js";

/** Longest dedupe, topic or ordering key stored; a longer one is not a key but a payload. */
export const MAX_KEY_LENGTH = 512;

/**
 * Reads a key by its rule: a header, or a dotted path into the parsed JSON
 * body (`id`, `data.object.id`, `line_items.0.sku`). Only dotted paths, so
 * a rule is a stable name an operator can read and filter on; strings and
 * numbers qualify. Undefined when absent, empty, too long, or holding a NUL
 * (which Postgres text cannot store).
 *
 * @example
 * readKey({ json: "data.object.id" }, header, { data: { object: { id: "pi_1" } } }); // "pi_1"
 */
export function readKey(
  rule: KeyRule,
  header: (name: string) => string | undefined,
  json: unknown,
): string | undefined {
  const raw = "header" in rule ? header(rule.header) : atPath(json, rule.json);
  if (raw === undefined) return undefined;
  const text = raw.trim();
  if (text === "" || text.length > MAX_KEY_LENGTH || text.includes("\u0000")) return undefined;
  return text;
}

/** Describes a rule for messages: `header x-github-delivery`, `JSON id`. */
export function describeRule(rule: KeyRule): string {
  return "header" in rule ? `header ${rule.header}` : `JSON ${rule.json}`;
}

function atPath(value: unknown, path: string): string | undefined {
  let current = value;
  for (const part of path.split(".")) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  if (typeof current === "string") return current;
  if (typeof current === "number" && Number.isFinite(current)) return String(current);
  return undefined;
}
