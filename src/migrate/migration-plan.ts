import type { Queryable } from "../db/index.js";
import { loadMigrationFiles, type MigrationFile } from "./migration-files.js";
import { readHistory, readProgress } from "./history.js";
import { compareNames, duplicateVersions } from "./migration-versions.js";
import {
  detectHistoryKind,
  readNativeHistory,
  type HistoryKind,
  type NativeRecord,
} from "./native-history.js";
import { OPSKIT_STARTED_LOG, prismaChecksum, prismaChecksumMatches } from "./prisma-history.js";

/** A directory of migrations and the name its history rows carry. */
export interface MigrationSource {
  /** `opskit` for the toolkit's own schema, `app` for the service's. */
  source: string;
  dir: string;
  /**
   * Whose history the directory has (see native-history.ts); default
   * `auto` (detected from the directory and the database), and always
   * `opskit` for the toolkit's own source.
   */
  history?: HistoryKind | "auto";
}

/**
 * - `applied`: in the history with the same checksum.
 * - `changed`: in the history, but the file's content differs (blocks a run).
 * - `pending`: not applied yet, and sorts after every applied file of its source.
 * - `out_of_order`: not applied, and sorts before the newest applied file of
 *   its source (refused unless allowed: on a fresh database it would run in
 *   another order than it did here).
 * - `partial`: a non-transactional file whose earlier run stopped part-way
 *   (a rerun resumes at `statementsDone`; the statements after it may have
 *   been edited to fix the failure, the ones already run may not).
 * - `failed`: Prisma recorded it started and neither finished nor rolled
 *   back (blocks a run until resolved: `opskit migrate resolve`).
 */
export type MigrationState =
  "applied" | "changed" | "pending" | "out_of_order" | "partial" | "failed";

/** Where a file's row goes in the other tool's table when opskit applies it. */
export type NativeTarget =
  { kind: "prisma"; table: string; checksum: string } | { kind: "supabase"; table: string };

export interface PlannedMigration extends MigrationFile {
  source: string;
  state: MigrationState;
  appliedAt?: Date;
  appliedBy?: string;
  /** For `partial`: statements of the file already run. */
  statementsDone?: number;
  /** For `partial`: checksum of the text of the statements already run. */
  doneChecksum?: string;
  /** The other tool's table to keep writing (Prisma, Supabase), when the directory has one. */
  native?: NativeTarget;
  /** What the other tool's table says of this file (its deciding row). */
  nativeRecord?: NativeRecord;
  /** opskit's own history has a row for it (false: applied by the other tool, not adopted yet). */
  mirrored: boolean;
}

export interface DuplicateVersion {
  source: string;
  version: string;
  names: string[];
}

export interface SourceHistory {
  source: string;
  dir: string;
  history: HistoryKind;
  /** The other tool's table, when it exists (`"public"."_prisma_migrations"`). */
  table?: string;
}

export interface MigrationStatus {
  /** Every file, in runner order (sources in the order given, names byte-wise). */
  files: PlannedMigration[];
  /** Applied rows whose file is gone. */
  missing: { source: string; name: string }[];
  /** Two files of one source with the same version prefix (refused). */
  duplicates: DuplicateVersion[];
  /** Each source's history kind, as detected. */
  sources: SourceHistory[];
}

/**
 * Compares the files of each source with the history: what is applied,
 * changed, pending, out of order, part-way or failed, what was applied and
 * is gone, and which version prefixes are used twice.
 *
 * For a Prisma or Supabase directory the other tool's table is the source
 * of truth of what is applied (it is what `prisma migrate deploy` and
 * `supabase db push` read); a file it does not record but opskit's history
 * does counts as applied too (opskit applied it before the directory was
 * read that way; the next `up` writes the missing row).
 */
export async function planMigrations(
  client: Queryable,
  sources: MigrationSource[],
): Promise<MigrationStatus> {
  const history = await readHistory(client);
  const progress = await readProgress(client);
  const applied = new Map(history.map((h) => [`${h.source}\0${h.name}`, h]));
  const partial = new Map(progress.map((p) => [`${p.source}\0${p.name}`, p]));
  const files: PlannedMigration[] = [];
  const duplicates: DuplicateVersion[] = [];
  const described: SourceHistory[] = [];
  const missing: { source: string; name: string }[] = [];
  const seen = new Set<string>();
  for (const { source, dir, history: declared } of sources) {
    const loaded = await loadMigrationFiles(dir);
    const kind =
      source === "opskit"
        ? "opskit"
        : await detectHistoryKind(
            client,
            dir,
            declared ?? "auto",
            loaded.map((f) => f.name),
          );
    const native =
      kind === "opskit"
        ? undefined
        : await readNativeHistory(
            client,
            kind,
            loaded.map((f) => f.name),
          );
    described.push({
      source,
      dir,
      history: kind,
      ...(native?.table ? { table: native.table } : {}),
    });
    const appliedNames = [
      ...history.filter((h) => h.source === source).map((h) => h.name),
      ...[...(native?.records.values() ?? [])]
        .filter((r) => r.state !== "rolled_back")
        .map((r) => r.name),
    ];
    const newestApplied = appliedNames.reduce<string | undefined>(
      (max, name) => (max === undefined || compareNames(name, max) > 0 ? name : max),
      undefined,
    );
    for (const file of loaded) {
      const key = `${source}\0${file.name}`;
      seen.add(key);
      const row = applied.get(key);
      const record = native?.records.get(file.name);
      const base = {
        ...file,
        source,
        mirrored: row !== undefined,
        ...(record ? { nativeRecord: record } : {}),
        ...(native?.table
          ? {
              native:
                kind === "prisma"
                  ? {
                      kind: "prisma" as const,
                      table: native.table,
                      checksum: prismaChecksum(file.raw),
                    }
                  : { kind: "supabase" as const, table: native.table },
            }
          : {}),
        ...(row ? { appliedAt: row.applied_at, appliedBy: row.applied_by } : {}),
      };
      const started = partial.get(key);
      // A started row opskit wrote itself for a no-transaction file is resumed
      // from opskit's own progress (none: from its first statement).
      const ownRun = record?.state === "failed" && record.logs === OPSKIT_STARTED_LOG;
      if (record?.state === "failed" && !started && !ownRun) {
        files.push({ ...base, state: "failed" });
        continue;
      }
      if (record?.state === "applied") {
        const same =
          record.checksum !== undefined
            ? // Prisma's rule (line endings), or opskit's (a BOM is not an edit either).
              prismaChecksumMatches(file.raw, record.checksum) ||
              prismaChecksumMatches(file.sql, record.checksum)
            : row === undefined || row.checksum === file.checksum;
        files.push({
          ...base,
          state: same ? "applied" : "changed",
          appliedAt: row?.applied_at ?? record.finishedAt ?? record.startedAt,
          appliedBy: row?.applied_by ?? kind,
        });
        continue;
      }
      if (row && record?.state !== "rolled_back") {
        files.push({ ...base, state: row.checksum === file.checksum ? "applied" : "changed" });
        continue;
      }
      if (started) {
        files.push({
          ...base,
          state: "partial",
          statementsDone: started.statements_done,
          doneChecksum: started.checksum,
        });
        continue;
      }
      const outOfOrder = newestApplied !== undefined && compareNames(file.name, newestApplied) < 0;
      files.push({ ...base, state: outOfOrder ? "out_of_order" : "pending" });
    }
    for (const clash of duplicateVersions(loaded.map((f) => f.name)))
      duplicates.push({ source, ...clash });
    for (const name of native?.unmatched ?? []) {
      const record = native?.records.get(name);
      if (!record || record.state === "applied") missing.push({ source, name });
    }
  }
  for (const h of history) {
    const gone = !seen.has(`${h.source}\0${h.name}`);
    if (gone && !missing.some((m) => m.source === h.source && m.name === h.name))
      missing.push({ source: h.source, name: h.name });
  }
  return { files, missing, duplicates, sources: described };
}

/** Files the next run would apply, in order (`partial` first resumes where it stopped). */
export function runnable(status: MigrationStatus, allowOutOfOrder: boolean): PlannedMigration[] {
  return status.files.filter(
    (f) =>
      f.state === "pending" ||
      f.state === "partial" ||
      (allowOutOfOrder && f.state === "out_of_order"),
  );
}
