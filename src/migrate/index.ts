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
