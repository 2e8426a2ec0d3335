export {
  migrate,
  migrationStatus,
  type MigrateOptions,
  type MigrateOutcome,
  type MigrationFailure,
  type MigrationResult,
  type MigrationSource,
  type MigrationStatus,
  type PlannedMigration,
} from "./runner.js";
export { loadMigrationFiles, migrationChecksum, type MigrationFile } from "./migration-files.js";
export { findLockHolder, type LockHolder } from "./migration-lock.js";
export { readHistory, type AppliedMigration } from "./history.js";
export { toolkitMigrationsDir } from "./toolkit-migrations.js";
export {
  loadSqlParser,
  parseMigration,
  parseMigrationSync,
  type MigrationDirectives,
  type ParsedMigration,
  type ParseMigrationOptions,
  type SqlComment,
  type SqlStatement,
} from "./parse-migration.js";
export { transactionBlockRestriction } from "./transaction-block-restriction.js";
export { createSourceText, type SourcePosition, type SourceText } from "./source-text.js";
export {
  lintMigrations,
  parsePgVersion,
  type LintedFile,
  type LintOptions,
  type LintResult,
} from "./lint/lint-migrations.js";
export type { LintFinding, LintRule, Severity } from "./lint/lint-rule.js";
export { LINT_RULES } from "./lint/rules/all-rules.js";
export { formatFindings, LINT_FORMATS, type LintFormat } from "./lint/format-findings.js";
