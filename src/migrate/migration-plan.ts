import type { Queryable } from "../db/index.js";
import { loadMigrationFiles, type MigrationFile } from "./migration-files.js";
import { readHistory, readProgress } from "./history.js";

/** A directory of migrations and the name its history rows carry. */
export interface MigrationSource {
  /** `opskit` for the toolkit's own schema, `app` for the service's. */
  source: string;
  dir: string;
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
 */
export type MigrationState = "applied" | "changed" | "pending" | "out_of_order" | "partial";

export interface PlannedMigration extends MigrationFile {
  source: string;
  state: MigrationState;
  appliedAt?: Date;
  appliedBy?: string;
  /** For `partial`: statements of the file already run. */
  statementsDone?: number;
  /** For `partial`: checksum of the text of the statements already run. */
  doneChecksum?: string;
}

export interface DuplicateVersion {
  source: string;
  version: string;
  names: string[];
}

export interface MigrationStatus {
  /** Every file, in runner order (sources in the order given, names byte-wise). */
  files: PlannedMigration[];
  /** Applied rows whose file is gone. */
  missing: { source: string; name: string }[];
  /** Two files of one source with the same version prefix (refused). */
  duplicates: DuplicateVersion[];
}

/**
 * The version a migration name starts with: its leading groups of digits
 * (`0002_add_x.sql` → `0002`, `20240101_0900_accounts.sql` → `20240101_0900`,
 * Prisma's `20240101120000_init` → `20240101120000`); none → undefined.
 */
export function versionOf(name: string): string | undefined {
  return /^(\d+(?:[_-]\d+)*)(?![\d])/.exec(name)?.[1];
}

/**
 * Compares the files of each source with the history: what is applied,
 * changed, pending, out of order or part-way, what was applied and is gone,
 * and which version prefixes are used twice.
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
  const seen = new Set<string>();
  for (const { source, dir } of sources) {
    const loaded = await loadMigrationFiles(dir);
    const newestApplied = history
      .filter((h) => h.source === source)
      .reduce<string | undefined>(
        (max, h) => (max === undefined || h.name > max ? h.name : max),
        undefined,
      );
    for (const file of loaded) {
      const key = `${source}\0${file.name}`;
      seen.add(key);
      const row = applied.get(key);
      if (row) {
        files.push({
          ...file,
          source,
          state: row.checksum === file.checksum ? "applied" : "changed",
          appliedAt: row.applied_at,
          appliedBy: row.applied_by,
        });
        continue;
      }
      const started = partial.get(key);
      if (started) {
        files.push({
          ...file,
          source,
          state: "partial",
          statementsDone: started.statements_done,
          doneChecksum: started.checksum,
        });
        continue;
      }
      const outOfOrder = newestApplied !== undefined && file.name < newestApplied;
      files.push({ ...file, source, state: outOfOrder ? "out_of_order" : "pending" });
    }
    const byVersion = new Map<string, string[]>();
    for (const file of loaded) {
      const version = versionOf(file.name);
      if (version !== undefined)
        byVersion.set(version, [...(byVersion.get(version) ?? []), file.name]);
    }
    for (const [version, names] of byVersion) {
      if (names.length > 1) duplicates.push({ source, version, names });
    }
  }
  const missing = history
    .filter((h) => !seen.has(`${h.source}\0${h.name}`))
    .map((h) => ({ source: h.source, name: h.name }));
  return { files, missing, duplicates };
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
