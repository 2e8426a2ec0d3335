/**
 * The value at a dotted path of a JSON text, as the text of a key: a
 * string's decoded value, or a number exactly as written in the bytes
 * (`820982911946154508`, `-7`, `1e3`, `12.50`). Undefined when the path is
 * absent or holds anything else (object, array, `true`, `null`).
 *
 * Why not `JSON.parse` and `String(value)`: JSON numbers become doubles, so
 * two ids above 2^53 (Shopify's and Twitter's ids are 64-bit) can read as
 * the same number, and one event is then acknowledged as the other's
 * duplicate and never stored. Why not a lossless JSON library (lossless-json
 * parses every number as its text): a key is one path of the body, read on
 * the hot webhook route; this scanner reads to that path without building
 * the rest and without a second full parse, and it keeps `JSON.parse`'s
 * rule for a repeated member name (the last one wins) where lossless-json
 * refuses the body. The caller has already checked the text with
 * `JSON.parse`, so the scanner only has to find tokens, not validate them;
 * on invalid JSON it returns undefined or an arbitrary token, never throws.
 *
 * Path parts are member names; on an array a part is an index (`items.0.sku`).
 *
 * @example
 * jsonKeyText('{"id": 820982911946154509}', "id"); // "820982911946154509"
 * jsonKeyText('{"data":{"object":{"id":"pi_1"}}}', "data.object.id"); // "pi_1"
 */
export function jsonKeyText(json: string | Buffer, path: string): string | undefined {
  const text = typeof json === "string" ? json : json.toString("utf8");
  let at = skipSpace(text, 0);
  for (const part of path.split(".")) {
    const found = text[at] === "{" ? member(text, at, part) : element(text, at, part);
    if (found === undefined) return undefined;
    at = found;
  }
  const first = text[at];
  if (first === '"') {
    const end = skipString(text, at);
    try {
      return JSON.parse(text.slice(at, end)) as string;
    } catch {
      return undefined;
    }
  }
  if (first === "-" || (first !== undefined && first >= "0" && first <= "9")) {
    return text.slice(at, skipScalar(text, at));
  }
  return undefined;
}

/** Where the value of member `name` of the object at `at` starts (the last one wins, as in JSON.parse). */
function member(text: string, at: number, name: string): number | undefined {
  let found: number | undefined;
  let i = skipSpace(text, at + 1);
  while (i < text.length && text[i] === '"') {
    const keyEnd = skipString(text, i);
    const raw = text.slice(i + 1, keyEnd - 1);
    let key: string | undefined = raw;
    if (raw.includes("\\")) {
      try {
        key = JSON.parse(text.slice(i, keyEnd)) as string;
      } catch {
        key = undefined;
      }
    }
    i = skipSpace(text, keyEnd);
    if (text[i] !== ":") return undefined;
    i = skipSpace(text, i + 1);
    if (key === name) found = i;
    i = skipSpace(text, skipValue(text, i));
    if (text[i] !== ",") break;
    i = skipSpace(text, i + 1);
  }
  return found;
}

/** Where element `index` of the array at `at` starts. */
function element(text: string, at: number, index: string): number | undefined {
  if (text[at] !== "[" || !/^(0|[1-9][0-9]{0,8})$/.test(index)) return undefined;
  let remaining = Number(index);
  let i = skipSpace(text, at + 1);
  if (text[i] === "]") return undefined;
  while (i < text.length) {
    if (remaining === 0) return i;
    i = skipSpace(text, skipValue(text, i));
    if (text[i] !== ",") return undefined;
    i = skipSpace(text, i + 1);
    remaining--;
  }
  return undefined;
}

/** The index just past the value starting at `at`. Iterative, so deep nesting cannot overflow the stack. */
function skipValue(text: string, at: number): number {
  const first = text[at];
  if (first === '"') return skipString(text, at);
  if (first !== "{" && first !== "[") return skipScalar(text, at);
  let depth = 0;
  let i = at;
  while (i < text.length) {
    const c = text[i];
    if (c === '"') {
      i = skipString(text, i);
      continue;
    }
    if (c === "{" || c === "[") depth++;
    else if (c === "}" || c === "]") {
      depth--;
      if (depth === 0) return i + 1;
    }
    i++;
  }
  return i;
}

/** The index just past the string token starting at `at` (its opening quote). */
function skipString(text: string, at: number): number {
  let i = at + 1;
  while (i < text.length) {
    const c = text[i];
    if (c === "\\") i += 2;
    else if (c === '"') return i + 1;
    else i++;
  }
  return i;
}

/** The index just past a number or literal starting at `at`. */
function skipScalar(text: string, at: number): number {
  let i = at;
  while (i < text.length && !",}] \t\n\r".includes(text[i]!)) i++;
  return i;
}

function skipSpace(text: string, at: number): number {
  let i = at;
  while (
    i < text.length &&
    (text[i] === " " || text[i] === "\t" || text[i] === "\n" || text[i] === "\r")
  ) {
    i++;
  }
  return i;
}
