export { createBackup, type CreateBackupOptions } from "./create-backup.js";
export { listBackups, findBackup, type BackupEntry } from "./list-backups.js";
export { verifyBackup } from "./verify-backup.js";
export { pruneBackups, type PruneOptions, type PruneResult } from "./prune-backups.js";
export { restoreBackup, type RestoreOptions } from "./restore-backup.js";
export { drillBackup, type DrillBackupOptions, type DrillChecks } from "./drill-backup.js";
export { drillRestored, type DrillRestoredOptions } from "./drill-restored.js";
export { receiptMarkdown, type DrillReceipt } from "./drill-receipt.js";
export type { CheckResult, Invariant, SmokeQuery } from "./check-result.js";
export type { BackupManifest, MigrationEntry } from "./backup-manifest.js";
export type { BackupProgress, OnProgress } from "./backup-progress.js";
export { findPgTool, type PgTool } from "./pg-tools.js";
export {
  defaultScratchRoot,
  scratchServerRunning,
  startScratchServer,
  sweepScratchServers,
  type ScratchServer,
} from "./scratch-server.js";
export {
  createBackupAdmin,
  type BackupAdmin,
  type BackupAdminOptions,
} from "./create-backup-admin.js";
export type { DrillRow } from "./sql/backup-drills.js";
export { backupPart, BACKUP_QUEUE, type BackupPartOptions } from "./backup-part.js";
export { registerBackupMetrics } from "./backup-metrics.js";
export {
  createPgBackRest,
  writePgBackRestConfig,
  type PgBackRest,
  type PgBackRestInfo,
  type PgBackRestOptions,
} from "./pgbackrest.js";
export {
  drillPointInTime,
  recoveryWindow,
  type DrillPointInTimeOptions,
  type RecoveryWindow,
} from "./drill-point-in-time.js";
