import path from "node:path";
import { newBackupId } from "./backup-id.js";
import type { CheckResult } from "./check-result.js";
import type { DrillChecks } from "./drill-backup.js";
import {
  amcheckCheck,
  countsCheck,
  invariantChecks,
  migrationsCheck,
  readCopyFacts,
  smokeChecks,
} from "./drill-checks.js";
import { writeReceipt, type DrillReceipt } from "./drill-receipt.js";
import { guardTarget, readIdentity } from "./target-guard.js";
import { withClient } from "../db/index.js";
import { BACKUP_CLIENT } from "./backup-client.js";

export interface DrillRestoredOptions extends DrillChecks {
  /** The copy a provider restored (Fly, Supabase, Render PITR, RDS…). */
  restoredUrl: string;
  /** The source it was restored from: counts and history are compared with it. */
  sourceUrl: string;
  /** Create the amcheck extension in the copy when missing (a write to the copy); default false: amcheck is skipped there. */
  installAmcheck?: boolean;
  /** When the provider's restore was started: makes RTO measurable (now − this). */
  restoreStartedAt?: Date;
  /** The point in time the copy was restored to: makes RPO measurable (drill start − this). */
  restoredTo?: Date;
  /** Where to write the receipt (JSON and Markdown); none when unset. */
  receiptDir?: string;
  signal?: AbortSignal;
}

/**
 * Drills a restore someone else made: the same checks as a backup drill,
 * held against the live source instead of a manifest — amcheck where the
 * copy has (or may get) the extension, every table's row count equal to the
 * source's, the same migration history, the service's invariants and smoke
 * queries. Counts are read from the source in one snapshot; on a source that
 * keeps writing, drill a copy restored to "now" or expect the tables written
 * since to differ (docs/backup.md). The copy is refused if it is the source.
 *
 * @example
 * const receipt = await drillRestored({ restoredUrl, sourceUrl, restoredTo: new Date("2026-05-01T12:00:00Z") });
 */
export async function drillRestored(options: DrillRestoredOptions): Promise<DrillReceipt> {
  const startedAt = new Date();
  const start = startedAt.getTime();
  const source = await readIdentity(options.sourceUrl);
  const target = await guardTarget(options.restoredUrl, [source], {
    replace: false,
    allowTables: true,
    // A provider's PITR is a physical copy: same system identifier, another server.
    physicalCopies: true,
  });
  const major = await withClient(options.restoredUrl, BACKUP_CLIENT, async (c) =>
    Math.floor(
      Number(
        (await c.query<{ v: string }>("select current_setting('server_version_num') as v")).rows[0]!
          .v,
      ) / 10_000,
    ),
  );
  const checks: CheckResult[] = [];
  const t = Date.now();
  checks.push(
    await amcheckCheck(options.restoredUrl, major, {
      installMissing: options.installAmcheck ?? false,
      ...(options.signal ? { signal: options.signal } : {}),
    }),
  );
  const [expected, copy] = await Promise.all([
    readCopyFacts(options.sourceUrl),
    readCopyFacts(options.restoredUrl),
  ]);
  checks.push(countsCheck(expected.tables, copy.tables));
  checks.push(migrationsCheck(expected.history, copy.history));
  checks.push(...(await invariantChecks(options.restoredUrl, options.invariants ?? [])));
  checks.push(...(await smokeChecks(options.restoredUrl, options.smoke ?? [])));
  const checkedAt = Date.now();
  const ok = checks.every((c) => c.ok);
  const receipt: DrillReceipt = {
    id: newBackupId(startedAt),
    kind: "restored",
    ok,
    rto_ms: ok && options.restoreStartedAt ? checkedAt - options.restoreStartedAt.getTime() : null,
    rpo_ms: options.restoredTo ? start - options.restoredTo.getTime() : null,
    checks,
    backupId: null,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    restored: target.target,
    phases: { checks_ms: checkedAt - t },
  };
  if (options.receiptDir) await writeReceipt(path.resolve(options.receiptDir), receipt);
  return receipt;
}
