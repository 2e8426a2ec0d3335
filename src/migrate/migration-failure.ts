import { toError } from "../errors.js";
import type { PlannedMigration } from "./migration-plan.js";

export interface MigrationFailure {
  code:
    | "MIGRATION_FAILED"
    | "MIGRATION_CHECKSUM_MISMATCH"
    | "MIGRATION_OUT_OF_ORDER"
    | "MIGRATION_DUPLICATE_VERSION"
    | "MIGRATION_PREVIOUSLY_FAILED"
    | "MIGRATION_PARSE_ERROR"
    | "MIGRATION_MIXED_TRANSACTION"
    | "MIGRATION_LOCK_TIMEOUT"
    | "POOLER_TRANSACTION_MODE"
    | "INTERNAL";
  message: string;
  source?: string;
  file?: string;
  /** 1-based line of the failing statement's position in the file. */
  line?: number;
  sqlstate?: string;
  /** Postgres' own message, unchanged. */
  detail?: string;
}

/**
 * A failed statement as the operator needs it: the file, the line (where the
 * statement starts, moved to the error's character position within it when
 * Postgres gives one), the SQLSTATE and Postgres' message.
 */
export function describeFailure(
  thrown: unknown,
  file: Pick<PlannedMigration, "source" | "name" | "sql">,
  statementStart = 0,
  rolledBack = true,
): MigrationFailure {
  const error = toError(thrown) as Error & { code?: string; position?: string };
  const position = Number(error.position);
  const offset =
    Number.isFinite(position) && position > 0 ? statementStart + position - 1 : statementStart;
  const line = file.sql.slice(0, offset).split("\n").length;
  const sqlstate =
    typeof error.code === "string" && /^[0-9A-Z]{5}$/.test(error.code) ? error.code : undefined;
  return {
    code: "MIGRATION_FAILED",
    source: file.source,
    file: file.name,
    line,
    sqlstate,
    detail: error.message,
    message:
      `${file.name}${line ? `:${line}` : ""}: ${error.message}. ` +
      (rolledBack
        ? "Nothing of this migration was applied; fix the file and run again."
        : "The statements before this one stay applied (the file runs outside a transaction); fix the file and run again: the runner resumes at this statement."),
  };
}
