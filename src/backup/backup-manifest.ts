import { readFile, writeFile, rename } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { OpskitError } from "../errors.js";

/** One applied migration, as the history table records it (what a restore must reproduce). */
const migrationSchema = z.object({ source: z.string(), name: z.string(), checksum: z.string() });

const fileSchema = z.object({
  name: z.string(),
  bytes: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});

/**
 * What a backup claims, written beside its dump as `manifest.json`. Every
 * fact is read in the one exported snapshot the dump was taken in, so the
 * drill can hold the restored copy to it exactly.
 */
export const backupManifestSchema = z.object({
  format: z.literal(1),
  id: z.string(),
  /** The source database's name (the drill restores into a database of that name). */
  database: z.string(),
  startedAt: z.string(),
  finishedAt: z.string(),
  /** `clock_timestamp()` in the snapshot: the newest data the backup can hold; RPO is measured from it. */
  snapshotAt: z.string(),
  /** `pg_current_wal_lsn()` in the snapshot. */
  lsn: z.string(),
  /** `pg_control_system()`; null when the role may not read it. */
  systemIdentifier: z.string().nullable(),
  serverVersion: z.string(),
  serverMajor: z.number().int(),
  migrations: z.object({
    /** The newest applied migration (`source/name`); null when none. */
    newest: z.string().nullable(),
    history: z.array(migrationSchema),
  }),
  /** Exact row counts of every user table (`schema.table`), read in the snapshot. */
  tables: z.record(z.string(), z.number().int().nonnegative()),
  files: z.array(fileSchema),
  /** pg_dump arguments beyond the defaults (e.g. `-T` exclusions), recorded so a drill's failure is explainable. */
  extraDumpArgs: z.array(z.string()).default([]),
});

export type BackupManifest = z.infer<typeof backupManifestSchema>;
export type MigrationEntry = z.infer<typeof migrationSchema>;

export const MANIFEST_FILE = "manifest.json";
export const DUMP_FILE = "database.pgdump";

/** Reads and validates `<backupDir>/manifest.json`. */
export async function readManifest(backupDir: string): Promise<BackupManifest> {
  const file = path.join(backupDir, MANIFEST_FILE);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new OpskitError("BACKUP_NOT_FOUND", `No backup manifest at ${file}.`, { cause: error });
  }
  const parsed = backupManifestSchema.safeParse(JSON.parse(text));
  if (!parsed.success) {
    throw new OpskitError(
      "BACKUP_FAILED",
      `The manifest ${file} is not valid: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
    );
  }
  return parsed.data;
}

/** Writes the manifest atomically (a reader never sees half of one). */
export async function writeManifest(backupDir: string, manifest: BackupManifest): Promise<void> {
  const file = path.join(backupDir, MANIFEST_FILE);
  await writeFile(`${file}.tmp`, JSON.stringify(manifest, null, 2) + "\n");
  await rename(`${file}.tmp`, file);
}
