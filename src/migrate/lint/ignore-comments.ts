import type { SqlComment, SqlStatement } from "../parse-migration.js";

/** `-- opskit-lint-ignore rule-a, rule-b: reason` before a statement. */
export interface IgnoreComment {
  rules: string[];
  reason: string;
  line: number;
  column: number;
  /** The statement it applies to (the next one), or -1 after the last. */
  statement: number;
  used: Set<string>;
}

const IGNORE = /^--\s*opskit-lint-ignore\b\s*([^:]*?)\s*(?::\s*(.*?))?\s*$/;

/**
 * The ignores of a file, each attached to the statement that follows it
 * (comments between two statements belong to the second).
 *
 * @example
 * // -- opskit-lint-ignore ban-drop-column: the column was unused since v12 (PR 812)
 */
export function readIgnoreComments(
  comments: SqlComment[],
  statements: SqlStatement[],
): IgnoreComment[] {
  const ignores: IgnoreComment[] = [];
  let next = 0;
  for (const c of comments) {
    const m = IGNORE.exec(c.text);
    if (!m) continue;
    while (next < statements.length && statements[next]!.start < c.start) next++;
    ignores.push({
      rules: (m[1] ?? "")
        .split(/[\s,]+/)
        .map((r) => r.trim())
        .filter(Boolean),
      reason: (m[2] ?? "").trim(),
      line: c.line,
      column: c.column,
      statement: next < statements.length ? next : -1,
      used: new Set(),
    });
  }
  return ignores;
}
