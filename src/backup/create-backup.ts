import { mkdir, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import pg from "pg";
import { OpskitError } from "../errors.js";
import { newBackupId } from "./backup-id.js";
import { DUMP_FILE, writeManifest, type BackupManifest } from "./backup-manifest.js";
import type { OnProgress } from "./backup-progress.js";
import { digestFile } from "./file-digest.js";
import { findPgTool, libpqEnv, runTool, tail } from "./pg-tools.js";
import { countRows } from "./row-counts.js";
import { readMigrationFacts, readServerFacts } from "./snapshot-facts.js";

export interface CreateBackupOptions {
  /** The database to back up. */
  databaseUrl: string;
  /** The backup directory (a mounted volume); each backup is a folder in it. */
  directory: string;
  /** Given by a job's checkpoint, so a retry reuses (and first clears) the folder of a killed attempt. */
  id?: string;
  /** Passed to pg_dump as is (e.g. `["-T", "audit_big"]`); the manifest still counts every table. */
  extraDumpArgs?: string[];
  signal?: AbortSignal;
  onProgress?: OnProgress;
}

/**
 * A logical backup in one exported snapshot: a repeatable-read transaction
 * exports its snapshot, reads the manifest's facts (LSN, system identifier,
 * migration history, exact row counts) in it, and `pg_dump -Fc
 * --snapshot=…` dumps exactly that snapshot while the transaction stays
 * open. The backup is written to `<directory>/<id>.partial/` and renamed to
 * `<directory>/<id>/` only when the dump, the checksums and the manifest are
 * all on disk: a folder without `.partial` is a complete backup.
 *
 * @example
 * const manifest = await createBackup({ databaseUrl: url, directory: "/backups" });
 * console.log(manifest.id, manifest.tables);
 */
export async function createBackup(options: CreateBackupOptions): Promise<BackupManifest> {
  const id = options.id ?? newBackupId();
  const finalDir = path.join(options.directory, id);
  const partialDir = `${finalDir}.partial`;
  await rm(partialDir, { recursive: true, force: true });
  await mkdir(partialDir, { recursive: true });
  const startedAt = new Date();
  // pg_dump stops with the caller's signal, and when the counts beside it fail.
  const dumpAbort = new AbortController();
  const onAbort = () => dumpAbort.abort(options.signal?.reason);
  options.signal?.addEventListener("abort", onAbort, { once: true });
  const client = new pg.Client({
    connectionString: options.databaseUrl,
    application_name: "opskit-backup",
  });
  await client.connect();
  try {
    await client.query("begin isolation level repeatable read read only");
    const snapshot = (await client.query<{ s: string }>("select pg_export_snapshot() as s"))
      .rows[0]!.s;
    const server = await readServerFacts(client);
    const migrations = await readMigrationFacts(client);
    const pgDump = await findPgTool("pg_dump", server.serverMajor);
    const dumpFile = path.join(partialDir, DUMP_FILE);
    const extra = options.extraDumpArgs ?? [];

    let tablesDumped = 0;
    const report = (phase: string, bytes: number, tables: number) =>
      options.onProgress?.({ phase, bytes, tables, elapsedMs: Date.now() - startedAt.getTime() });
    const ticker = options.onProgress
      ? setInterval(() => {
          void stat(dumpFile).then(
            (s) => report("dump", s.size, tablesDumped),
            () => undefined,
          );
        }, 500)
      : undefined;
    // The dump and the counts read the same snapshot; run side by side, the
    // counts add little to the backup's wall time.
    const [dump, tables] = await Promise.all([
      runTool(
        pgDump,
        ["--format=custom", `--snapshot=${snapshot}`, "--verbose", `--file=${dumpFile}`, ...extra],
        {
          env: libpqEnv(options.databaseUrl),
          signal: dumpAbort.signal,
          onStderrLine: (line) => {
            if (line.includes("dumping contents of table")) tablesDumped++;
          },
        },
      ).finally(() => clearInterval(ticker)),
      countRows(client).catch((error: unknown) => {
        dumpAbort.abort(error);
        throw error;
      }),
    ]);
    await client.query("commit");
    if (dump.code !== 0) {
      throw new OpskitError(
        "BACKUP_FAILED",
        `pg_dump failed (exit ${dump.code}): ${tail(dump.stderr)}`,
      );
    }
    report("checksum", (await stat(dumpFile)).size, tablesDumped);
    const digest = await digestFile(dumpFile);
    const manifest: BackupManifest = {
      format: 1,
      id,
      database: server.database,
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      snapshotAt: server.snapshotAt.toISOString(),
      lsn: server.lsn,
      systemIdentifier: server.systemIdentifier,
      serverVersion: server.serverVersion,
      serverMajor: server.serverMajor,
      migrations,
      tables,
      files: [{ name: DUMP_FILE, ...digest }],
      extraDumpArgs: extra,
    };
    await writeManifest(partialDir, manifest);
    await rename(partialDir, finalDir);
    return manifest;
  } catch (error) {
    await rm(partialDir, { recursive: true, force: true });
    throw error instanceof OpskitError
      ? error
      : new OpskitError("BACKUP_FAILED", `The backup failed: ${(error as Error).message}`, {
          cause: error,
        });
  } finally {
    options.signal?.removeEventListener("abort", onAbort);
    await client.end().catch(() => undefined);
  }
}
