import path from "node:path";
import { stat } from "node:fs/promises";
import { OpskitError } from "../errors.js";
import { DUMP_FILE } from "./backup-manifest.js";
import type { OnProgress } from "./backup-progress.js";
import type { BackupEntry } from "./list-backups.js";
import { findPgTool, libpqEnv, runTool, tail } from "./pg-tools.js";
import { guardTarget, readIdentity, type DatabaseIdentity } from "./target-guard.js";

export interface RestoreOptions {
  backup: BackupEntry;
  /** The database to restore into (it must exist). */
  targetUrl: string;
  /** The live source, when reachable: refused as a target too (besides the backup's own source). */
  sourceUrl?: string;
  /** Drop the target's objects that the backup holds before restoring (`pg_restore --clean --if-exists`). */
  replace?: boolean;
  /** Parallel restore jobs (`pg_restore -j`); default 2. */
  jobs?: number;
  signal?: AbortSignal;
  onProgress?: OnProgress;
}

/**
 * Restores a backup with `pg_restore --exit-on-error -j N`: without `-e`
 * pg_restore carries on past a failed statement and exits 0 with a
 * half-restored database, which is how a broken restore reports success.
 * Owners and grants are not restored (`--no-owner --no-privileges`): the
 * target's roles are not the source's. The target guard runs first.
 *
 * @example
 * await restoreBackup({ backup: await findBackup("/backups"), targetUrl: "postgres://…/restored" });
 */
export async function restoreBackup(options: RestoreOptions): Promise<{ durationMs: number }> {
  const { backup } = options;
  const sources: DatabaseIdentity[] = [
    {
      systemIdentifier: backup.manifest.systemIdentifier,
      database: backup.manifest.database,
      target: "",
    },
  ];
  if (options.sourceUrl) {
    sources.push(await readIdentity(options.sourceUrl));
  }
  await guardTarget(options.targetUrl, sources, { replace: options.replace ?? false });
  const pgRestore = await findPgTool("pg_restore", backup.manifest.serverMajor);
  const file = path.join(backup.path, DUMP_FILE);
  const total = (await stat(file)).size;
  const env = libpqEnv(options.targetUrl);
  const started = Date.now();
  let tables = 0;
  const result = await runTool(
    pgRestore,
    [
      "--exit-on-error",
      `--jobs=${options.jobs ?? 2}`,
      "--no-owner",
      "--no-privileges",
      "--verbose",
      ...(options.replace ? ["--clean", "--if-exists"] : []),
      // The connection comes from the environment (no password in the process list).
      `--dbname=${env.PGDATABASE}`,
      file,
    ],
    {
      env,
      ...(options.signal ? { signal: options.signal } : {}),
      onStderrLine: (line) => {
        if (!line.includes("processing data for table")) return;
        tables++;
        // pg_restore says which table, not how far into the file it is: bytes
        // are estimated from the share of tables done.
        const share = tables / Math.max(1, Object.keys(backup.manifest.tables).length);
        options.onProgress?.({
          phase: "restore",
          bytes: Math.min(total, Math.round(total * share)),
          tables,
          elapsedMs: Date.now() - started,
        });
      },
    },
  );
  if (result.code !== 0) {
    throw new OpskitError(
      "BACKUP_FAILED",
      `pg_restore failed (exit ${result.code}): ${tail(result.stderr)}`,
    );
  }
  return { durationMs: Date.now() - started };
}
