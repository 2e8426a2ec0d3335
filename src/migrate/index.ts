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
