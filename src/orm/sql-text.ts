import type { QueryConfigLike } from "../db/index.js";

/**
 * Reads a Postgres statement as the server's lexer does, far enough to find
 * its `$n` parameters and what it does: string constants ('…', E'…' with
 * backslash escapes), quoted identifiers, dollar-quoted bodies, comments and
 * code. An ORM whose raw API numbers parameters its own way (Knex's `?`,
 * Drizzle's chunks) gets the statement rewritten here, never with a value
 * spliced into the text.
 */

export type SqlPart =
  | { kind: "code"; text: string }
  /** A string constant, quoted identifier, dollar-quoted body or comment: passed through as is. */
  | { kind: "quoted"; text: string }
  /** `$n`: `index` is n - 1. */
  | { kind: "param"; index: number; text: string };

const IDENT_CHAR = /[A-Za-z0-9_$\u0080-\uffff]/;
// Sticky: matched at a position, without copying the rest of the statement.
const PARAM = /\$([0-9]+)/y;
const DOLLAR_TAG = /\$(?:[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/y;

function matchAt(pattern: RegExp, text: string, at: number): RegExpExecArray | null {
  pattern.lastIndex = at;
  return pattern.exec(text);
}

/** Splits `text` into code, quoted parts and `$n` parameters, in order. */
export function scanSql(text: string): SqlPart[] {
  const parts: SqlPart[] = [];
  let code = "";
  const flush = () => {
    if (code !== "") parts.push({ kind: "code", text: code });
    code = "";
  };
  const quoted = (end: number) => {
    flush();
    parts.push({ kind: "quoted", text: text.slice(i, end) });
    i = end;
  };
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    const next = text[i + 1];
    const before = i > 0 ? text[i - 1]! : "";
    if (c === "'") {
      const escapes = /[Ee]/.test(before) && (i < 2 || !IDENT_CHAR.test(text[i - 2]!));
      quoted(endOfString(text, i, escapes));
    } else if (c === '"') {
      quoted(endOfQuoted(text, i, '"'));
    } else if (c === "-" && next === "-") {
      const newline = text.indexOf("\n", i);
      quoted(newline === -1 ? text.length : newline + 1);
    } else if (c === "/" && next === "*") {
      quoted(endOfBlockComment(text, i));
    } else if (c === "$" && !IDENT_CHAR.test(before)) {
      const digits = matchAt(PARAM, text, i);
      const tag = digits ? null : matchAt(DOLLAR_TAG, text, i);
      if (digits) {
        flush();
        parts.push({ kind: "param", index: Number(digits[1]) - 1, text: digits[0] });
        i += digits[0].length;
      } else if (tag) {
        const close = text.indexOf(tag[0], i + tag[0].length);
        quoted(close === -1 ? text.length : close + tag[0].length);
      } else {
        code += c;
        i++;
      }
    } else {
      code += c;
      i++;
    }
  }
  flush();
  return parts;
}

function endOfString(text: string, start: number, backslashEscapes: boolean): number {
  let i = start + 1;
  while (i < text.length) {
    const c = text[i]!;
    if (backslashEscapes && c === "\\") i += 2;
    else if (c === "'" && text[i + 1] === "'") i += 2;
    else if (c === "'") return i + 1;
    else i++;
  }
  return text.length;
}

function endOfQuoted(text: string, start: number, quote: string): number {
  let i = start + 1;
  while (i < text.length) {
    if (text[i] === quote && text[i + 1] === quote) i += 2;
    else if (text[i] === quote) return i + 1;
    else i++;
  }
  return text.length;
}

function endOfBlockComment(text: string, start: number): number {
  let depth = 0;
  let i = start;
  while (i < text.length) {
    if (text.startsWith("/*", i)) {
      depth++;
      i += 2;
    } else if (text.startsWith("*/", i)) {
      depth--;
      i += 2;
      if (depth === 0) return i;
    } else i++;
  }
  return text.length;
}

function valueAt(values: readonly unknown[], index: number, text: string): unknown {
  if (index < 0 || index >= values.length) {
    throw new RangeError(
      `The statement uses ${text} but ${values.length} value(s) were given: ${shorten(text)}`,
    );
  }
  return values[index];
}

function shorten(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}…` : text;
}

/**
 * The statement as ordered chunks around its parameters: `chunks[k]` is the
 * text before the k-th parameter occurrence, `params[k]` its value (a `$1`
 * used twice is two occurrences of one value). For an API that numbers
 * parameters itself in order of appearance (Drizzle's `sql`).
 */
export function splitAtParameters(
  text: string,
  values: readonly unknown[],
): { chunks: string[]; params: unknown[] } {
  const chunks: string[] = [""];
  const params: unknown[] = [];
  for (const part of scanSql(text)) {
    if (part.kind === "param") {
      params.push(valueAt(values, part.index, part.text));
      chunks.push("");
    } else chunks[chunks.length - 1] += part.text;
  }
  return { chunks, params };
}

/**
 * The statement in Knex's raw form: each `$n` becomes a `?` binding, and
 * every literal `?` (jsonb's `?`, `?|`, `?&` operators, a `?` in a string
 * or comment) is escaped `\?` so Knex neither binds it nor reads `??` as an
 * identifier. Knex drops the backslashes before a `?` when it renumbers, so
 * a backslash right before a literal `?` cannot pass through: refused.
 */
export function toKnexRaw(
  text: string,
  values: readonly unknown[],
): { sql: string; bindings: unknown[] } {
  let sql = "";
  let expected = "";
  const bindings: unknown[] = [];
  for (const part of scanSql(text)) {
    if (part.kind === "param") {
      bindings.push(valueAt(values, part.index, part.text));
      sql += "?";
      expected += `$${bindings.length}`;
    } else {
      // A space after an operator `?` keeps Knex from reading `\??` (it and the next `?`) as one binding.
      const spaced = part.kind === "code" && part.text.endsWith("?") ? " " : "";
      sql += part.text.replaceAll("?", "\\?") + spaced;
      expected += part.text + spaced;
    }
  }
  // What Knex will send, checked against what Postgres must receive.
  if (knexRewrite(sql) !== expected) {
    throw new RangeError(
      `Knex's raw cannot carry a backslash right before a "?" or a parameter; bind that text as a parameter instead: ${shorten(text)}`,
    );
  }
  return { sql, bindings };
}

// Knex's two passes over a raw statement with positional bindings (knex 3:
// rawFormatter's replaceRawArrBindings, then the pg dialect's positionBindings).
function knexRewrite(sql: string): string {
  const bound = sql.replace(/\\?\?\??/g, (m) => (m === "\\?" ? m : m === "??" ? "\u0000" : "?"));
  let n = 0;
  return bound.replace(/(\\*)(\?)/g, (_m, escapes: string) =>
    escapes.length % 2 ? "?" : `$${++n}`,
  );
}

const ROW_VERBS = new Set(["select", "values", "table", "show", "explain", "fetch"]);
const DML_VERBS = new Set(["insert", "update", "delete", "merge"]);

/**
 * Whether the statement answers rows: a query (select, values, table, show,
 * explain, fetch), or a data change with a top-level `returning`, directly
 * or after a `with` list. A data change without `returning`, and any other
 * command, answers only a count.
 */
export function returnsRows(text: string): boolean {
  const words: { word: string; depth: number }[] = [];
  let depth = 0;
  for (const part of scanSql(text)) {
    if (part.kind !== "code") continue;
    for (const token of part.text.matchAll(/[A-Za-z_][A-Za-z0-9_$]*|[()]/g)) {
      if (token[0] === "(") depth++;
      else if (token[0] === ")") depth--;
      else words.push({ word: token[0].toLowerCase(), depth });
    }
  }
  const first = words[0]?.word;
  if (first === undefined) return false;
  let verbAt = 0;
  if (first === "with") {
    verbAt = words.findIndex(
      (w, k) => k > 0 && w.depth === 0 && (ROW_VERBS.has(w.word) || DML_VERBS.has(w.word)),
    );
    if (verbAt === -1) return false;
  }
  const verb = words[verbAt]!.word;
  if (ROW_VERBS.has(verb)) return true;
  if (!DML_VERBS.has(verb)) return false;
  return words.some((w, k) => k > verbAt && w.depth === 0 && w.word === "returning");
}

/** The text and values of a `query(text, values)` or `query({ text, values })` call. */
export function statementOf(
  query: string | QueryConfigLike,
  values?: unknown[],
): { text: string; values: unknown[] } {
  const text = typeof query === "string" ? query : query.text;
  const given = (typeof query === "string" ? values : (query.values ?? values)) ?? [];
  // pg sends undefined as NULL; some ORMs refuse it.
  return { text, values: given.map((v) => (v === undefined ? null : v)) };
}
