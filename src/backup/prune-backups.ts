import { readdir, rm, stat } from "node:fs/promises";
import path from "node:path";
import { listBackups, type BackupEntry } from "./list-backups.js";

export interface PruneOptions {
  /** Keep at most this many backups (newest first); at least 1. */
  keep: number;
  /** Also remove backups older than this (ms since their snapshot). */
  maxAgeMs?: number;
  /** Report what would go, remove nothing. */
  dryRun?: boolean;
  now?: Date;
}

export interface PruneResult {
  kept: string[];
  removed: string[];
  /** Leftover `<id>.partial` folders of killed backups, removed when over a day old. */
  partialsRemoved: string[];
}

const PARTIAL_GRACE_MS = 86_400_000;

/**
 * Retention by count and age. A backup goes when it is beyond the newest
 * `keep`, or older than `maxAgeMs` — except the newest backup, which always
 * stays: a schedule that stopped for a month must not leave the volume empty.
 *
 * @example
 * await pruneBackups("/backups", { keep: 14, maxAgeMs: 30 * 86_400_000 });
 */
export async function pruneBackups(directory: string, options: PruneOptions): Promise<PruneResult> {
  const now = (options.now ?? new Date()).getTime();
  const keep = Math.max(1, options.keep);
  const backups = await listBackups(directory);
  const doomed = (b: BackupEntry, rank: number) =>
    rank > 0 &&
    (rank >= keep ||
      (options.maxAgeMs !== undefined &&
        now - Date.parse(b.manifest.snapshotAt) > options.maxAgeMs));
  const removed = backups.filter(doomed).map((b) => b.id);
  const kept = backups.filter((b, i) => !doomed(b, i)).map((b) => b.id);
  const partialsRemoved: string[] = [];
  for (const name of (await readdir(directory).catch(() => [])).filter((n) =>
    n.endsWith(".partial"),
  )) {
    const { mtimeMs } = await stat(path.join(directory, name));
    if (now - mtimeMs > PARTIAL_GRACE_MS) partialsRemoved.push(name);
  }
  if (!options.dryRun) {
    for (const name of [...removed, ...partialsRemoved]) {
      await rm(path.join(directory, name), { recursive: true, force: true });
    }
  }
  return { kept, removed, partialsRemoved };
}
