import { isOpskitError } from "../errors.js";
import type { MigrationFailure } from "./migration-failure.js";
import type { PlannedMigration } from "./migration-plan.js";
import { parseMigration, type ParsedMigration, type SqlStatement } from "./parse-migration.js";

/** How the runner executes one file, decided from its directives and statements. */
export interface PreparedMigration extends PlannedMigration {
  /** false: statement by statement, outside a transaction, with progress recorded. */
  transactional: boolean;
  statements: SqlStatement[];
  /** `-- opskit:lock-timeout` / `-- opskit:statement-timeout`, else the run's defaults. */
  lockTimeout: string;
  statementTimeout: string;
}

export interface Timeouts {
  lockTimeoutMs: number;
  statementTimeoutMs: number;
}

/**
 * Parses a file with the real Postgres parser and decides how it runs:
 *
 * - in one transaction (the default), with its history row inside it;
 * - statement by statement outside a transaction when the header says
 *   `-- opskit:no-transaction`, or when every statement is one Postgres
 *   refuses inside a transaction block (CREATE INDEX CONCURRENTLY, VACUUM, …).
 *
 * A file that mixes such statements with ordinary ones and has no directive
 * is refused: in one transaction it would fail with 25001, and run statement
 * by statement its ordinary part would lose its all-or-nothing guarantee
 * without the author having asked for that.
 */
export async function prepareMigration(
  file: PlannedMigration,
  defaults: Timeouts,
  pgVersion: number,
): Promise<PreparedMigration | MigrationFailure> {
  let parsed;
  try {
    parsed = await parseMigration(file.sql, { pgVersion });
  } catch (error) {
    if (!isOpskitError(error, "MIGRATION_PARSE_ERROR")) throw error;
    return {
      code: "MIGRATION_PARSE_ERROR",
      source: file.source,
      file: file.name,
      line: error.details?.line as number | undefined,
      message: `${file.name}: ${error.message}. Nothing was applied.`,
    };
  }
  const { statements, directives } = parsed;
  const restricted = statements.filter((s) => s.nonTransactional);
  if (!directives.noTransaction && restricted.length > 0 && restricted.length < statements.length) {
    const first = restricted[0]!;
    return {
      code: "MIGRATION_MIXED_TRANSACTION",
      source: file.source,
      file: file.name,
      line: first.line,
      message:
        `${file.name}:${first.line}: ${first.sql.split("\n")[0]} cannot run inside a transaction, and the file ` +
        "also has statements that can. Move it to a file of its own (it then runs outside a transaction), " +
        "or put `-- opskit:no-transaction` at the top to run every statement of this file one by one.",
    };
  }
  return {
    ...file,
    transactional: runsInTransaction(parsed),
    statements,
    lockTimeout: directives.lockTimeout ?? `${defaults.lockTimeoutMs}ms`,
    statementTimeout: directives.statementTimeout ?? `${defaults.statementTimeoutMs}ms`,
  };
}

/**
 * Whether the runner wraps a file in one transaction: not when its header
 * says `-- opskit:no-transaction`, nor when every statement is one Postgres
 * refuses in a transaction block. The lint asks the same question here, so
 * the two never disagree about a file (a file of only CREATE INDEX
 * CONCURRENTLY is applied outside a transaction, and lints so).
 */
export function runsInTransaction(
  parsed: Pick<ParsedMigration, "statements" | "directives">,
): boolean {
  if (parsed.directives.noTransaction) return false;
  return !(parsed.statements.length > 0 && parsed.statements.every((s) => s.nonTransactional));
}
