import { defineSchedule, defineTask, type AnyTask, type Schedule } from "../jobs/index.js";
import { WORKER_ROLES, type PartContext, type ServicePart } from "../service-part.js";
import { newBackupId } from "./backup-id.js";
import { registerBackupMetrics } from "./backup-metrics.js";
import { createBackup } from "./create-backup.js";
import { createBackupAdmin, type BackupAdmin } from "./create-backup-admin.js";
import type { DrillChecks } from "./drill-backup.js";
import { findBackup } from "./list-backups.js";
import { pruneBackups } from "./prune-backups.js";

/** What a service adds to its backups; the rest comes from OPSKIT_BACKUP_* in the config. */
export interface BackupPartOptions extends DrillChecks {
  /** `pg_restore -j` of drills; default 2. */
  jobs?: number;
  /** Where drills make their scratch servers; default `$TMPDIR/opskit-drill`. */
  scratchRoot?: string;
}

export const BACKUP_QUEUE = "opskit.backup";
// A backup or a drill of a large database runs for a long time: the
// dead-man's switch of their schedules allows this before a slot is late.
const GRACE_MS = 6 * 3_600_000;

/**
 * Roles `worker` and `all`, when OPSKIT_BACKUP_DIR is set: a scheduled backup
 * (then retention) and a scheduled drill of the newest backup, as jobs of the
 * service's own queue (queue `opskit.backup`), and the backup gauges on the
 * service's registry. Both tasks checkpoint what they started (the backup's
 * id; the drill's id and the backup it drills): a retry after a deploy or a
 * crash clears the killed attempt's partial backup or scratch server and
 * redoes the same one. A drill whose checks fail is recorded and logged as
 * an error, not retried: it is a finding, and the drill gauge stops moving.
 *
 * @example
 * await runService({ …, backup: () => ({ invariants: [{ name: "stage changes", sql: "select …" }] }) });
 */
export function backupPart<C>(
  options: (ctx: PartContext<C>) => BackupPartOptions | undefined = () => undefined,
): ServicePart<C> {
  let admin: BackupAdmin | undefined;
  return {
    name: "backup",
    roles: WORKER_ROLES,
    declare(ctx) {
      const { config } = ctx;
      const directory = config.OPSKIT_BACKUP_DIR;
      if (!directory) return undefined;
      const o = options(ctx) ?? {};
      const made = createBackupAdmin({ db: ctx.pool, directory, ...o });
      admin = made;
      const backupTask = defineTask(
        "opskit.backup.create",
        async (_payload, job) => {
          const saved = job.checkpointed as { id: string } | undefined;
          const id = saved?.id ?? newBackupId();
          if (!saved) await job.checkpoint({ id });
          const manifest = await createBackup({
            // pg_dump's settings and snapshot live in its session: past any transaction-mode pooler.
            databaseUrl: ctx.sessionUrl,
            directory,
            id,
            signal: job.signal,
          });
          const pruned = await pruneBackups(directory, {
            keep: config.OPSKIT_BACKUP_KEEP,
            ...(config.OPSKIT_BACKUP_MAX_AGE === undefined
              ? {}
              : { maxAgeMs: config.OPSKIT_BACKUP_MAX_AGE }),
          });
          job.log.info(
            {
              backup: id,
              bytes: manifest.files[0]?.bytes,
              lsn: manifest.lsn,
              pruned: pruned.removed,
            },
            "backup done",
          );
        },
        { queue: BACKUP_QUEUE, maxAttempts: 3 },
      );
      const drillTask = defineTask(
        "opskit.backup.drill",
        async (_payload, job) => {
          const saved = job.checkpointed as { drillId: string; backupId: string } | undefined;
          const state = saved ?? {
            drillId: newBackupId(),
            backupId: (await findBackup(directory)).id,
          };
          if (!saved) await job.checkpoint(state);
          const receipt = await made.startDrill({
            id: state.backupId,
            drillId: state.drillId,
            signal: job.signal,
          });
          const failed = receipt.checks.filter((c) => !c.ok);
          if (failed.length)
            job.log.error({ backup: state.backupId, failed }, "restore drill failed");
          else
            job.log.info(
              { backup: state.backupId, rto_ms: receipt.rto_ms, rpo_ms: receipt.rpo_ms },
              "restore drill passed",
            );
        },
        { queue: BACKUP_QUEUE, maxAttempts: 3 },
      );
      const tasks: AnyTask[] = [backupTask, drillTask];
      const schedules: Schedule[] = [
        defineSchedule({
          name: "opskit.backup",
          cron: config.OPSKIT_BACKUP_SCHEDULE,
          task: backupTask,
          missed: "once",
          graceMs: GRACE_MS,
        }),
        defineSchedule({
          name: "opskit.backup.drill",
          cron: config.OPSKIT_BACKUP_DRILL_SCHEDULE,
          task: drillTask,
          missed: "once",
          graceMs: GRACE_MS,
        }),
      ];
      return { tasks, schedules };
    },
    start(ctx) {
      if (admin) registerBackupMetrics(ctx.metrics.registry, admin);
    },
  };
}
