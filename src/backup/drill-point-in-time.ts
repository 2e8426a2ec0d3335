import { writeFile } from "node:fs/promises";
import path from "node:path";
import { readHistory } from "../migrate/index.js";
import { newBackupId } from "./backup-id.js";
import type { CheckResult } from "./check-result.js";
import type { DrillChecks } from "./drill-backup.js";
import { amcheckCheck, invariantChecks, migrationsCheck, smokeChecks } from "./drill-checks.js";
import { writeReceipt, type DrillReceipt } from "./drill-receipt.js";
import type { PgBackRest } from "./pgbackrest.js";
import {
  SCRATCH_SERVER_MAJOR,
  startScratchServer,
  sweepScratchServers,
  type ScratchServer,
} from "./scratch-server.js";
import { withClient } from "../db/index.js";
import { BACKUP_CLIENT } from "./backup-client.js";
import { OpskitError } from "../errors.js";

export interface DrillPointInTimeOptions extends DrillChecks {
  pgbackrest: PgBackRest;
  /** The server pgBackRest backs up: its migration history as of the target is the expected one. */
  sourceUrl: string;
  /** The point to restore to; default a random time inside the recovery window. */
  target?: Date;
  /** Run `pgbackrest check` first so the WAL up to now is in the repository (default true; it switches WAL on the source, it writes no data). */
  refreshArchive?: boolean;
  scratchRoot?: string;
  /** Where to write the receipt (JSON and Markdown); none when unset. */
  receiptDir?: string;
  /** For the random target; default Math.random. */
  random?: () => number;
}

/** The recovery window: from the end of the oldest backup to the newest archived WAL. */
export interface RecoveryWindow {
  from: Date;
  to: Date;
}

/**
 * The point-in-time drill: picks a time inside pgBackRest's recovery window
 * (a random one unless given), restores the stanza to it (`--type=time`,
 * promote) into a scratch data folder, starts a scratch server on it and
 * runs the drill's checks: the recovery stopped at or before the target,
 * `pg_amcheck`, the migration history equal to the source's as of the
 * target, the invariants and the smoke queries. Row counts are not compared:
 * the source has moved on since the target. The scratch server is stopped
 * and removed whatever happens (and by the watchdog if this process dies).
 *
 * @example
 * const receipt = await drillPointInTime({ pgbackrest: pbr, sourceUrl, invariants });
 */
export async function drillPointInTime(options: DrillPointInTimeOptions): Promise<DrillReceipt> {
  const startedAt = new Date();
  const start = startedAt.getTime();
  await sweepScratchServers(options.scratchRoot);
  const pbr = options.pgbackrest;
  // Everything committed before the check started is archived once it returns.
  const archivedUpTo = new Date();
  if (options.refreshArchive ?? true) await pbr.check();
  const info = await pbr.info();
  const window = recoveryWindow(info.backups, archivedUpTo);
  const target =
    options.target ??
    new Date(
      window.from.getTime() +
        (options.random ?? Math.random)() * (window.to.getTime() - window.from.getTime()),
    );
  const base = [...info.backups].reverse().find((b) => b.stoppedAt.getTime() < target.getTime());
  const database = new URL(options.sourceUrl).pathname.slice(1) || "postgres";
  const checks: CheckResult[] = [];
  const phases: Record<string, number> = {};
  let scratch: ScratchServer | undefined;
  let checkedAt: number | undefined;
  let newest: Date | null = null;
  try {
    let t = Date.now();
    try {
      scratch = await startScratchServer(options.scratchRoot, {
        prepare: async (dataDir) => {
          await pbr.restore({ pgPath: dataDir, target });
          // The source's pg_hba.conf came with the files; the scratch server listens on loopback only.
          await writeFile(
            path.join(dataDir, "pg_hba.conf"),
            "local all all trust\nhost all all 127.0.0.1/32 trust\n",
          );
        },
        // Never archive the restored server's WAL into the source's repository.
        settings: { archive_mode: "off" },
      });
      checks.push({
        name: "pgbackrest restore",
        ok: true,
        detail: `to ${target.toISOString()} from ${base?.label ?? "?"}, promoted`,
      });
    } catch (error) {
      checks.push({ name: "pgbackrest restore", ok: false, detail: (error as Error).message });
    }
    phases.restore_ms = Date.now() - t;
    if (scratch) {
      t = Date.now();
      const url = scratch.urlFor(database);
      const state = await withClient(
        url,
        BACKUP_CLIENT,
        async (c) =>
          (
            await c.query<{ recovering: boolean; newest: Date | null }>(
              "select pg_is_in_recovery() as recovering, pg_last_xact_replay_timestamp() as newest",
            )
          ).rows[0]!,
      );
      newest = state.newest;
      checks.push(
        !state.recovering && (newest === null || newest.getTime() <= target.getTime())
          ? {
              name: "recovery target",
              ok: true,
              detail: `promoted; newest transaction ${newest?.toISOString() ?? "(none replayed)"} ≤ target ${target.toISOString()}`,
            }
          : {
              name: "recovery target",
              ok: false,
              detail: `in recovery: ${state.recovering}; newest transaction ${newest?.toISOString() ?? "none"}, target ${target.toISOString()}`,
            },
      );
      checks.push(await amcheckCheck(url, SCRATCH_SERVER_MAJOR, { installMissing: true }));
      const asOf = (rows: Awaited<ReturnType<typeof readHistory>>) =>
        rows
          .filter((m) => m.applied_at.getTime() <= target.getTime())
          .map(({ source, name, checksum }) => ({ source, name, checksum }));
      const [expected, actual] = await Promise.all([
        withClient(options.sourceUrl, BACKUP_CLIENT, (c) => readHistory(c)),
        withClient(url, BACKUP_CLIENT, (c) => readHistory(c)),
      ]);
      checks.push(migrationsCheck(asOf(expected), asOf(actual)));
      checks.push(...(await invariantChecks(url, options.invariants ?? [])));
      checks.push(...(await smokeChecks(url, options.smoke ?? [])));
      phases.checks_ms = Date.now() - t;
      checkedAt = Date.now();
    }
  } finally {
    await scratch?.stop();
  }
  const ok = checks.every((c) => c.ok);
  const receipt: DrillReceipt = {
    id: newBackupId(startedAt),
    kind: "pitr",
    ok,
    rto_ms: ok && checkedAt !== undefined ? checkedAt - start : null,
    // The newest data restored: the last transaction replayed (the target when none was).
    rpo_ms: start - (newest ?? target).getTime(),
    checks,
    backupId: base?.label ?? null,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    restored: `scratch server (pgbackrest stanza ${pbr.stanza}, target ${target.toISOString()}, window ${window.from.toISOString()} → ${window.to.toISOString()})`,
    phases,
  };
  if (options.receiptDir) await writeReceipt(path.resolve(options.receiptDir), receipt);
  return receipt;
}

/** From the end of the oldest backup (rounded up: pgBackRest records whole seconds) to `archivedUpTo`. */
export function recoveryWindow(backups: { stoppedAt: Date }[], archivedUpTo: Date): RecoveryWindow {
  const oldest = backups[0];
  if (!oldest) {
    throw new OpskitError(
      "BACKUP_NOT_FOUND",
      "pgBackRest has no backup yet: take one (pgbackrest --type=full backup).",
    );
  }
  const from = new Date(oldest.stoppedAt.getTime() + 1_000);
  if (from.getTime() >= archivedUpTo.getTime()) {
    throw new OpskitError(
      "BACKUP_FAILED",
      `The recovery window is empty: the oldest backup ended at ${oldest.stoppedAt.toISOString()}.`,
    );
  }
  return { from, to: archivedUpTo };
}
