import { readdir } from "node:fs/promises";
import path from "node:path";
import { OpskitError } from "../errors.js";
import { isBackupId } from "./backup-id.js";
import { readManifest, type BackupManifest } from "./backup-manifest.js";

/** A complete backup in the directory. */
export interface BackupEntry {
  id: string;
  /** Its folder. */
  path: string;
  manifest: BackupManifest;
  /** Total bytes of its files. */
  bytes: number;
}

/**
 * The complete backups in `directory`, newest first. Folders still being
 * written (`<id>.partial`) are not backups yet and are left out; a folder
 * whose manifest cannot be read is reported by `verify`, not here.
 */
export async function listBackups(directory: string): Promise<BackupEntry[]> {
  let names: string[];
  try {
    names = await readdir(directory);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  const entries: BackupEntry[] = [];
  for (const id of names.filter(isBackupId).sort().reverse()) {
    const dir = path.join(directory, id);
    const manifest = await readManifest(dir).catch(() => undefined);
    if (!manifest) continue;
    entries.push({
      id,
      path: dir,
      manifest,
      bytes: manifest.files.reduce((n, f) => n + f.bytes, 0),
    });
  }
  return entries;
}

/** One backup by id, or the newest when `id` is undefined. */
export async function findBackup(directory: string, id?: string): Promise<BackupEntry> {
  const all = await listBackups(directory);
  const entry = id === undefined ? all[0] : all.find((b) => b.id === id);
  if (!entry) {
    throw new OpskitError(
      "BACKUP_NOT_FOUND",
      id === undefined
        ? `No backup in ${directory}; make one with opskit backup create --to ${directory}.`
        : `No backup ${id} in ${directory}; opskit backup list --to ${directory} shows them.`,
    );
  }
  return entry;
}
