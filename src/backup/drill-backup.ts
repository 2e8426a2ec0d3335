import path from "node:path";
import pg from "pg";
import { OpskitError } from "../errors.js";
import { newBackupId } from "./backup-id.js";
import type { OnProgress } from "./backup-progress.js";
import type { CheckResult, Invariant, SmokeQuery } from "./check-result.js";
import {
  amcheckCheck,
  countsCheck,
  invariantChecks,
  migrationsCheck,
  readCopyFacts,
  smokeChecks,
} from "./drill-checks.js";
import { writeReceipt, type DrillReceipt } from "./drill-receipt.js";
import { findBackup } from "./list-backups.js";
import { restoreBackup } from "./restore-backup.js";
import {
  SCRATCH_SERVER_MAJOR,
  startScratchServer,
  sweepScratchServers,
  type ScratchServer,
} from "./scratch-server.js";
import { verifyBackup } from "./verify-backup.js";
import { withClient } from "../db/index.js";
import { BACKUP_CLIENT } from "./backup-client.js";

/** What a service declares that a restored copy must satisfy. */
export interface DrillChecks {
  /** SQL that must return no rows. */
  invariants?: Invariant[];
  /** SQL that must run (rolled back). */
  smoke?: SmokeQuery[];
}

export interface DrillBackupOptions extends DrillChecks {
  directory: string;
  /** Default: the newest backup. */
  id?: string;
  /** The live source, refused as a restore target (the scratch server never is one; this is the belt to those braces). */
  sourceUrl?: string;
  /** `pg_restore -j`; default 2. */
  jobs?: number;
  /** Where scratch servers are made; default `$TMPDIR/opskit-drill`. */
  scratchRoot?: string;
  /** The receipt's id (a job passes its own so a retried drill overwrites, not adds). */
  drillId?: string;
  signal?: AbortSignal;
  onProgress?: OnProgress;
  /** Called once the scratch server runs (its folder): for tests and logs. */
  onScratchServer?: (dir: string) => void;
}

/**
 * The drill: restores a backup into a scratch server of the same major
 * version (the embedded Postgres: a temp data folder, a free port; stopped
 * and removed whatever happens), then checks it — the backup's checksums and
 * listing, the restore itself (`pg_restore -e`), `pg_amcheck`, every table's
 * row count against the manifest, the migration history, the service's
 * invariants and smoke queries — and writes a receipt (JSON and Markdown)
 * next to the backup. The source is never written to.
 *
 * @example
 * const receipt = await drillBackup({ directory: "/backups", invariants });
 * if (!receipt.ok) process.exitCode = 1;
 */
export async function drillBackup(options: DrillBackupOptions): Promise<DrillReceipt> {
  const startedAt = new Date();
  const start = startedAt.getTime();
  const id = options.drillId ?? newBackupId(startedAt);
  await sweepScratchServers(options.scratchRoot);
  const backup = await findBackup(options.directory, options.id);
  const m = backup.manifest;
  if (m.serverMajor !== SCRATCH_SERVER_MAJOR) {
    // The scratch server is the embedded Postgres 15: a dump of another major
    // would restore into a server it was not taken from.
    throw new OpskitError(
      "BACKUP_FAILED",
      `Backup ${backup.id} is of Postgres ${m.serverMajor}; the drill's scratch server is Postgres ${SCRATCH_SERVER_MAJOR}. Drill it with --restored-url against a server of its major.`,
    );
  }
  const checks: CheckResult[] = await verifyBackup(backup);
  const phases: Record<string, number> = {};
  let scratch: ScratchServer | undefined;
  let target = "";
  let checkedAt: number | undefined;
  try {
    let t = Date.now();
    scratch = await startScratchServer(options.scratchRoot);
    options.onScratchServer?.(scratch.dir);
    const url = await databaseOn(scratch, m.database);
    target = `scratch server ${new URL(url).host}/${m.database}`;
    phases.server_ms = Date.now() - t;
    t = Date.now();
    const restored = await restoreBackup({
      backup,
      targetUrl: url,
      ...(options.sourceUrl ? { sourceUrl: options.sourceUrl } : {}),
      jobs: options.jobs ?? 2,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    }).then(
      () => ({
        name: "restore",
        ok: true,
        detail: `pg_restore -e -j ${options.jobs ?? 2} into ${target}`,
      }),
      (error: Error) => {
        if (error instanceof OpskitError && error.code === "BACKUP_TARGET_REFUSED") throw error;
        return { name: "restore", ok: false, detail: error.message };
      },
    );
    phases.restore_ms = Date.now() - t;
    checks.push(restored);
    if (restored.ok) {
      t = Date.now();
      options.onProgress?.({ phase: "checks", bytes: 0, tables: 0, elapsedMs: Date.now() - start });
      checks.push(
        await amcheckCheck(url, m.serverMajor, {
          installMissing: true,
          ...(options.signal ? { signal: options.signal } : {}),
        }),
      );
      const copy = await readCopyFacts(url);
      checks.push(countsCheck(m.tables, copy.tables));
      checks.push(migrationsCheck(m.migrations.history, copy.history));
      checks.push(...(await invariantChecks(url, options.invariants ?? [])));
      checks.push(...(await smokeChecks(url, options.smoke ?? [])));
      phases.checks_ms = Date.now() - t;
      checkedAt = Date.now();
    }
  } finally {
    await scratch?.stop();
  }
  const ok = checks.every((c) => c.ok);
  const finishedAt = new Date();
  const receipt: DrillReceipt = {
    id,
    kind: "backup",
    ok,
    // RTO stops when the last check passed, before the scratch server is torn down.
    rto_ms: ok && checkedAt !== undefined ? checkedAt - start : null,
    rpo_ms: start - Date.parse(m.snapshotAt),
    checks,
    backupId: backup.id,
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    restored: target,
    phases,
  };
  await writeReceipt(path.join(backup.path, "drills"), receipt);
  return receipt;
}

/** Creates the source's database name on the scratch server (so invariants read as they do on the source). */
async function databaseOn(scratch: ScratchServer, database: string): Promise<string> {
  if (database !== "postgres") {
    await withClient(scratch.url, BACKUP_CLIENT, (c) =>
      c.query(`create database ${pg.escapeIdentifier(database)} template template0`),
    );
  }
  return scratch.urlFor(database);
}
