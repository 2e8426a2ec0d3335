import { Gauge, type Registry } from "prom-client";
import type { BackupAdmin } from "./create-backup-admin.js";

/**
 * The backup area's gauges, read at scrape time through the admin handle
 * (the directory for backups, opskit.backup_drills for drills) and cached
 * for `cacheMs`: they say the truth after a restart, on every worker
 * process, whoever ran the last backup. 0 means never.
 *
 * - `opskit_backup_last_success_timestamp_seconds`: the newest complete backup's end.
 * - `opskit_backup_drill_last_success_timestamp_seconds`: the newest passed drill's end.
 * - `opskit_backup_drill_rto_seconds`, `opskit_backup_drill_rpo_seconds`: of that drill.
 */
export function registerBackupMetrics(
  registry: Registry,
  admin: BackupAdmin,
  cacheMs = 30_000,
): void {
  let cached: Promise<Snapshot> | undefined;
  let cachedAt = 0;
  const snapshot = () => {
    if (!cached || Date.now() - cachedAt > cacheMs) {
      cachedAt = Date.now();
      cached = read(admin);
      cached.catch(() => (cached = undefined));
    }
    return cached;
  };
  const gauge = (name: string, help: string, pick: (s: Snapshot) => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      async collect() {
        this.set(pick(await snapshot()));
      },
    });
  gauge(
    "opskit_backup_last_success_timestamp_seconds",
    "When the newest complete backup in the backup directory finished (0: none).",
    (s) => s.lastBackup,
  );
  gauge(
    "opskit_backup_drill_last_success_timestamp_seconds",
    "When the newest passed restore drill finished (0: none).",
    (s) => s.lastDrill,
  );
  gauge(
    "opskit_backup_drill_rto_seconds",
    "RTO measured by the newest passed drill.",
    (s) => s.rto,
  );
  gauge(
    "opskit_backup_drill_rpo_seconds",
    "RPO measured by the newest passed drill.",
    (s) => s.rpo,
  );
}

interface Snapshot {
  lastBackup: number;
  lastDrill: number;
  rto: number;
  rpo: number;
}

async function read(admin: BackupAdmin): Promise<Snapshot> {
  const [backups, drill] = await Promise.all([admin.listBackups(), admin.lastSuccessfulDrill()]);
  const newest = backups[0];
  return {
    lastBackup: newest ? Date.parse(newest.manifest.finishedAt) / 1000 : 0,
    lastDrill: drill ? drill.finishedAt.getTime() / 1000 : 0,
    rto: (drill?.rtoMs ?? 0) / 1000,
    rpo: (drill?.rpoMs ?? 0) / 1000,
  };
}
