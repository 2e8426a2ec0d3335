import type { Queryable } from "../db/index.js";
import type { CheckResult } from "./check-result.js";
import { drillBackup, type DrillChecks } from "./drill-backup.js";
import type { DrillReceipt } from "./drill-receipt.js";
import { findBackup, listBackups, type BackupEntry } from "./list-backups.js";
import { insertDrill, listDrills, type DrillRow } from "./sql/backup-drills.js";
import { verifyBackup } from "./verify-backup.js";

/** Everything an operator reads or does about backups, without a worker (the CLI, the console, alerts). */
export interface BackupAdmin {
  /** The complete backups in the directory, newest first. */
  listBackups(): Promise<BackupEntry[]>;
  /** Recorded drills with their receipts, newest first. */
  listDrills(options?: { limit?: number; ok?: boolean }): Promise<DrillRow[]>;
  /** The newest passed drill, or undefined: what the "no drill in N days" alert reads. */
  lastSuccessfulDrill(): Promise<DrillRow | undefined>;
  /** Runs a drill of a backup (default the newest) now, in this process, and records its receipt. */
  startDrill(options?: {
    id?: string;
    drillId?: string;
    signal?: AbortSignal;
  }): Promise<DrillReceipt>;
  /** Records a receipt made elsewhere (a provider-restore drill, a drill run by the CLI). */
  recordDrill(receipt: DrillReceipt): Promise<void>;
  /** Checksums and `pg_restore -l` of a backup (default the newest). */
  verify(options?: { id?: string }): Promise<{ backup: BackupEntry; checks: CheckResult[] }>;
}

export interface BackupAdminOptions extends DrillChecks {
  /** The service's database: where drills are recorded (opskit.backup_drills). */
  db: Queryable;
  /** The backup directory. */
  directory: string;
  /** `pg_restore -j` of drills; default 2. */
  jobs?: number;
  /** Where drills make their scratch servers; default `$TMPDIR/opskit-drill`. */
  scratchRoot?: string;
}

/**
 * The backup area's admin handle. Recording a drill is its only write, and
 * it goes to the toolkit's own table; the drill itself never writes to the
 * source.
 *
 * @example
 * const admin = createBackupAdmin({ db: pool, directory: "/backups", invariants });
 * const receipt = await admin.startDrill();
 * console.log(receipt.ok, receipt.rto_ms);
 */
export function createBackupAdmin(options: BackupAdminOptions): BackupAdmin {
  const { db, directory } = options;
  return {
    listBackups: () => listBackups(directory),
    listDrills: (o) => listDrills(db, o),
    lastSuccessfulDrill: async () => (await listDrills(db, { limit: 1, ok: true }))[0],
    async startDrill(o = {}) {
      const receipt = await drillBackup({
        directory,
        ...(o.id === undefined ? {} : { id: o.id }),
        ...(o.drillId === undefined ? {} : { drillId: o.drillId }),
        ...(o.signal ? { signal: o.signal } : {}),
        ...(options.jobs === undefined ? {} : { jobs: options.jobs }),
        ...(options.scratchRoot === undefined ? {} : { scratchRoot: options.scratchRoot }),
        invariants: options.invariants ?? [],
        smoke: options.smoke ?? [],
      });
      await insertDrill(db, receipt);
      return receipt;
    },
    recordDrill: (receipt) => insertDrill(db, receipt),
    async verify(o = {}) {
      const backup = await findBackup(directory, o.id);
      return { backup, checks: await verifyBackup(backup) };
    },
  };
}
