import { OpskitError } from "../errors.js";

/*
 * What the console refuses before a handler sees it: text Postgres cannot
 * store, and ids it cannot hold. Each would otherwise fail deep in a query
 * (22021, 22003) after part of the request's work was done, and answer 500.
 */

/** The largest `bigint`: ids past it are refused rather than sent to Postgres (22003). */
export const MAX_BIGINT = 9223372036854775807n;

// A lone UTF-16 surrogate: JSON.stringify keeps it as `\udXXX`, which jsonb refuses.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why `value` cannot be stored as Postgres text, or undefined when it can. */
export function unstorableText(value: string): string | undefined {
  if (value.includes("\0")) return "holds a NUL byte (%00), which Postgres text cannot store";
  if (LONE_SURROGATE.test(value)) return "is not valid Unicode text (a lone surrogate)";
  return undefined;
}

/**
 * The first field of `fields` that cannot be stored, as a message for the
 * operator (`field "reason" holds a NUL byte …`), or undefined.
 */
export function invalidField(
  fields: Record<string, string | undefined>,
  where: string,
): string | undefined {
  for (const [name, value] of Object.entries(fields)) {
    const problem =
      unstorableText(name) ?? (value === undefined ? undefined : unstorableText(value));
    if (problem) return `The ${where} "${printable(name)}" ${problem}. Remove it and try again.`;
  }
  return undefined;
}

/** Path parameters named like this are bigint ids. */
const ID_PARAMS = new Set(["id"]);

/** A refusal of path parameters: text that cannot be stored, or an id past the bigint range. */
export function invalidParams(params: Record<string, string>): string | undefined {
  const text = invalidField(params, "path segment");
  if (text) return text;
  for (const [name, value] of Object.entries(params))
    if (ID_PARAMS.has(name) && !isBigintId(value)) return `The ${name} ${badId(value)}`;
  return undefined;
}

function isBigintId(value: string): boolean {
  return /^\d{1,19}$/.test(value) && BigInt(value) <= MAX_BIGINT;
}

function badId(value: string): string {
  return `"${printable(value).slice(0, 40)}" is not an id: ids are whole numbers from 0 to ${MAX_BIGINT}.`;
}

/**
 * A paging id from a query string (`before`): undefined when absent, the id
 * when it is one, a 400 otherwise.
 */
export function queryId(value: string | undefined, field: string): string | undefined {
  if (value === undefined || value === "") return undefined;
  if (!isBigintId(value)) throw new OpskitError("BAD_REQUEST", `The ${field} id ${badId(value)}`);
  return value;
}

/** Control characters shown as `\xNN`, so a message can quote what was sent. */
export function printable(value: string): string {
  return value.replace(
    // eslint-disable-next-line no-control-regex
    /[\u0000-\u001f\u007f]/g,
    (ch) => `\\x${ch.charCodeAt(0).toString(16).padStart(2, "0")}`,
  );
}
