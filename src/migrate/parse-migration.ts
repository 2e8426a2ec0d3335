import type { Node, ParseResult } from "@pgsql/types";
import { OpskitError } from "../errors.js";
import { createSourceText, type SourceText } from "./source-text.js";
import { transactionBlockRestriction } from "./transaction-block-restriction.js";

export interface SqlStatement {
  /** The statement text, from its first token, without the trailing semicolon. */
  sql: string;
  /** UTF-16 offset of the first token in the file text. */
  start: number;
  /** 1-based line of the first token. */
  line: number;
  /** 1-based column of the first token (UTF-16 units). */
  column: number;
  /** Top-level node type: `CreateStmt`, `IndexStmt`, `TransactionStmt`, … */
  kind: string;
  /** The statement's node as libpg-query returns it (locations in it are UTF-8 byte offsets). */
  ast: Node;
  /** Postgres refuses to run it inside a transaction block (SQLSTATE 25001). */
  nonTransactional: boolean;
}

export interface MigrationDirectives {
  /** `-- opskit:no-transaction`: the runner executes the statements one by one, outside a transaction. */
  noTransaction: boolean;
  /** `-- opskit:lock-timeout 10s` */
  lockTimeout?: string;
  /** `-- opskit:statement-timeout 5min` */
  statementTimeout?: string;
}

/** A comment between statements (not one inside a statement). */
export interface SqlComment {
  /** The comment text with its `--` or `/* … *\/` markers. */
  text: string;
  start: number;
  line: number;
  column: number;
}

export interface ParsedMigration {
  statements: SqlStatement[];
  directives: MigrationDirectives;
  /** Comments outside statements, in file order (the linter reads its ignores from them). */
  comments: SqlComment[];
  /** Positions of byte offsets (node `location`s in `ast`). */
  source: SourceText;
}

export interface ParseMigrationOptions {
  /** Server major version; decides what cannot run in a transaction (ADD VALUE before 12). Default 15. */
  pgVersion?: number;
}

let loading: Promise<void> | undefined;
let parser: typeof import("libpg-query") | undefined;

/**
 * Loads libpg-query's WASM module once; every parse after it is synchronous.
 * Imported here, when first needed, not at the top: a service imports this
 * area at boot (the runner, the pending-migrations check) and most processes
 * never parse SQL; the module costs ~10 MB of RSS on import and reserves a
 * 130 MB WASM heap once loaded (docs/memory.md).
 */
export function loadSqlParser(): Promise<void> {
  loading ??= import("libpg-query").then(async (module) => {
    await module.loadModule();
    parser = module;
  });
  return loading;
}

/**
 * Splits a migration into statements with the real Postgres parser
 * (libpg-query, PG 17 grammar) and reads its `-- opskit:` header directives.
 * The text is expected with BOM and CRLF already normalised (as
 * `loadMigrationFiles` returns it).
 *
 * A syntax error, an unknown or malformed directive, or a directive after the
 * first statement throws `OpskitError("MIGRATION_PARSE_ERROR")` with `line`
 * and `column` in `details`.
 *
 * @example
 * const { statements, directives } = await parseMigration(file.sql);
 * if (directives.noTransaction) for (const s of statements) await client.query(s.sql);
 */
export async function parseMigration(
  sql: string,
  options: ParseMigrationOptions = {},
): Promise<ParsedMigration> {
  await loadSqlParser();
  return parseMigrationSync(sql, options);
}

/** `parseMigration` once `loadSqlParser()` has resolved. */
export function parseMigrationSync(
  sql: string,
  options: ParseMigrationOptions = {},
): ParsedMigration {
  const source = createSourceText(sql);
  const pgVersion = options.pgVersion ?? 15;
  // A programming error, not a SQL one: thrown outside the parse error's try.
  if (parser === undefined) throw new Error("parseMigrationSync before loadSqlParser() resolved");
  let result: ParseResult;
  try {
    result = parser.parseSync(sql) as ParseResult;
  } catch (thrown) {
    const details = (thrown as { sqlDetails?: { cursorPosition?: number } }).sqlDetails;
    const at = source.position(source.offsetOfCodePoint(Math.max(0, details?.cursorPosition ?? 0)));
    throw parseError((thrown as Error).message, at, "syntax", thrown);
  }

  const statements: SqlStatement[] = [];
  const comments: SqlComment[] = [];
  let gapStart = 0;
  for (const raw of result.stmts ?? []) {
    if (!raw.stmt) continue;
    const from = source.offsetOfByte(raw.stmt_location ?? 0);
    const end =
      raw.stmt_len === undefined || raw.stmt_len === 0
        ? sql.length
        : source.offsetOfByte((raw.stmt_location ?? 0) + raw.stmt_len);
    const start = scanTrivia(sql, Math.max(from, gapStart), end, source, comments);
    const position = source.position(start);
    statements.push({
      sql: sql.slice(start, end).trimEnd(),
      start,
      line: position.line,
      column: position.column,
      kind: Object.keys(raw.stmt)[0] ?? "",
      ast: raw.stmt,
      nonTransactional: transactionBlockRestriction(raw.stmt, pgVersion) !== undefined,
    });
    gapStart = end;
  }
  scanTrivia(sql, gapStart, sql.length, source, comments);

  const firstStart = statements[0]?.start ?? sql.length;
  return {
    statements,
    directives: readDirectives(
      comments.filter((c) => c.start < firstStart),
      comments.filter((c) => c.start >= firstStart),
    ),
    comments,
    source,
  };
}

/** `details.kind` tells a syntax error from a bad directive. */
function parseError(
  message: string,
  at: { line: number; column: number },
  kind: "syntax" | "directive" = "directive",
  cause?: unknown,
) {
  return new OpskitError(
    "MIGRATION_PARSE_ERROR",
    `line ${at.line}, column ${at.column}: ${message}`,
    { cause, details: { line: at.line, column: at.column, kind } },
  );
}

/**
 * Skips whitespace, comments and empty statements (`;`) from `i`, recording
 * the comments; returns the offset of the next token. Only the text between
 * statements is scanned here, and the parser has already accepted it, so
 * strings and identifiers cannot occur in it: no full lexer is needed.
 */
function scanTrivia(
  text: string,
  i: number,
  end: number,
  source: SourceText,
  out: SqlComment[],
): number {
  while (i < end) {
    const c = text.charCodeAt(i);
    if (c === 0x20 || (c >= 0x09 && c <= 0x0d) || c === 0x3b) {
      i++;
    } else if (c === 0x2d && text.charCodeAt(i + 1) === 0x2d) {
      const nl = text.indexOf("\n", i);
      const stop = nl === -1 || nl > end ? end : nl;
      out.push(comment(text, i, stop, source));
      i = stop;
    } else if (c === 0x2f && text.charCodeAt(i + 1) === 0x2a) {
      const stop = blockCommentEnd(text, i, end);
      out.push(comment(text, i, stop, source));
      i = stop;
    } else break;
  }
  return i;
}

/** End of a block comment; Postgres nests them. */
function blockCommentEnd(text: string, i: number, end: number): number {
  let depth = 0;
  while (i < end) {
    if (text.startsWith("/*", i)) {
      depth++;
      i += 2;
    } else if (text.startsWith("*/", i)) {
      depth--;
      i += 2;
      if (depth === 0) return i;
    } else i++;
  }
  return end;
}

function comment(text: string, start: number, stop: number, source: SourceText): SqlComment {
  const { line, column } = source.position(start);
  return { text: text.slice(start, stop), start, line, column };
}

const DIRECTIVE = /^--\s*opskit:(\S*)\s*(.*?)\s*$/;
// Postgres' own syntax for a time setting: a number, optionally a unit (default ms).
const DURATION = /^\d+(\.\d+)?\s*(us|ms|s|min|h|d)?$/;

function readDirectives(header: SqlComment[], later: SqlComment[]): MigrationDirectives {
  const directives: MigrationDirectives = { noTransaction: false };
  const seen = new Set<string>();
  for (const c of header) {
    const m = DIRECTIVE.exec(c.text);
    if (!m) continue;
    const [, name = "", value = ""] = m;
    if (seen.has(name)) throw parseError(`the directive opskit:${name} is given twice`, c);
    seen.add(name);
    if (name === "no-transaction") {
      if (value) throw parseError(`opskit:no-transaction takes no value (got "${value}")`, c);
      directives.noTransaction = true;
    } else if (name === "lock-timeout" || name === "statement-timeout") {
      if (!DURATION.test(value)) {
        throw parseError(
          `opskit:${name} needs a Postgres duration such as 10s, 500ms or 5min (got "${value}")`,
          c,
        );
      }
      if (name === "lock-timeout") directives.lockTimeout = value;
      else directives.statementTimeout = value;
    } else {
      throw parseError(
        `unknown directive opskit:${name}; known: opskit:no-transaction, opskit:lock-timeout DURATION, opskit:statement-timeout DURATION`,
        c,
      );
    }
  }
  const misplaced = later.find((c) => DIRECTIVE.test(c.text));
  if (misplaced) {
    throw parseError(
      `"${misplaced.text.trim()}" is after the first statement, where it has no effect; move it to the header`,
      misplaced,
    );
  }
  return directives;
}
