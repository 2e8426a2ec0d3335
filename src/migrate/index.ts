export {
  migrate,
  lockKeyOf,
  runnerIdentity,
  type MigrateOptions,
  type MigrateOutcome,
  type MigrationFailure,
  type MigrationResult,
} from "./runner.js";
export { migrationStatus } from "./migration-status.js";
export { compareNames, duplicateVersions, versionOf } from "./migration-versions.js";
export {
  type DuplicateVersion,
  type NativeTarget,
  type SourceHistory,
  type MigrationSource,
  type MigrationState,
  type MigrationStatus,
  type PlannedMigration,
} from "./migration-plan.js";
export {
  acceptChecksum,
  type AcceptChecksumOptions,
  type AcceptedChecksum,
} from "./accept-checksum.js";
export { unlockMigrations, type UnlockOptions, type UnlockOutcome } from "./unlock.js";
export { loadMigrationFiles, migrationChecksum, type MigrationFile } from "./migration-files.js";
export {
  describeHolder,
  findLockHolder,
  PRISMA_LOCK_KEY,
  RUNNER_APPLICATION_NAME,
  type LockHolder,
} from "./migration-lock.js";
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
  dryRunMigrations,
  type DryRunFile,
  type DryRunOptions,
  type DryRunReport,
  type LockTaken,
} from "./dry-run.js";
export { replayMigrations, type ReplayOptions, type ReplayReport } from "./replay.js";
export { findPrechecks, type Precheck, type PrecheckResult } from "./data-prechecks.js";
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
export { migrationsPart, pendingMigrationsPart } from "./migrations-part.js";
export { pendingMigrationsCheck } from "./pending-migrations-check.js";
export { type HistoryKind, type NativeRecord } from "./native-history.js";
export {
  newMigration,
  type NamingScheme,
  type NewMigration,
  type NewMigrationOptions,
} from "./new-migration.js";
export { resolveMigration, type ResolveOptions, type Resolved } from "./resolve-migration.js";
export { baselineMigrations, type BaselineOptions, type BaselineReport } from "./baseline.js";
export { schemaSnapshot, diffSnapshots } from "./schema-snapshot.js";
export { prismaChecksum, prismaChecksumMatches } from "./prisma-history.js";
export type { Adopted } from "./adopt-history.js";
