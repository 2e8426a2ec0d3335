import path from "node:path";
import type { BackupEntry } from "./list-backups.js";
import { DUMP_FILE } from "./backup-manifest.js";
import type { CheckResult } from "./check-result.js";
import { digestFile } from "./file-digest.js";
import { findPgTool, runTool, tail } from "./pg-tools.js";

/**
 * Checks a backup without restoring it: the sha256 and size of every file
 * against the manifest, then `pg_restore -l` (the archive's table of
 * contents is readable, and lists a data entry for every table the manifest
 * counted rows of). A byte flipped anywhere fails the checksum; a truncated
 * or foreign file fails the listing too.
 *
 * @example
 * const checks = await verifyBackup(await findBackup("/backups"));
 * if (checks.some((c) => !c.ok)) process.exitCode = 1;
 */
export async function verifyBackup(backup: BackupEntry): Promise<CheckResult[]> {
  const checks: CheckResult[] = [];
  for (const file of backup.manifest.files) {
    const actual = await digestFile(path.join(backup.path, file.name)).catch(
      (error: Error) => error,
    );
    checks.push(
      actual instanceof Error
        ? { name: `checksum ${file.name}`, ok: false, detail: actual.message }
        : actual.sha256 === file.sha256 && actual.bytes === file.bytes
          ? {
              name: `checksum ${file.name}`,
              ok: true,
              detail: `sha256 ${file.sha256.slice(0, 12)}…, ${file.bytes} bytes`,
            }
          : {
              name: `checksum ${file.name}`,
              ok: false,
              detail: `sha256 ${actual.sha256.slice(0, 12)}… (${actual.bytes} bytes), the manifest says ${file.sha256.slice(0, 12)}… (${file.bytes} bytes): the file changed after the backup`,
            },
    );
  }
  const pgRestore = await findPgTool("pg_restore", backup.manifest.serverMajor);
  const listing = await runTool(pgRestore, ["--list", path.join(backup.path, DUMP_FILE)]);
  if (listing.code !== 0) {
    checks.push({ name: "pg_restore --list", ok: false, detail: tail(listing.stderr) });
    return checks;
  }
  const withData = new Set(
    [...listing.stdout.matchAll(/TABLE DATA (\S+) (\S+) /g)].map((m) => `${m[1]}.${m[2]}`),
  );
  const missing = Object.keys(backup.manifest.tables).filter((t) => !withData.has(t));
  checks.push(
    missing.length === 0
      ? {
          name: "pg_restore --list",
          ok: true,
          detail: `${withData.size} tables with data in the archive`,
        }
      : {
          name: "pg_restore --list",
          ok: false,
          detail: `no data in the archive for ${missing.join(", ")}`,
        },
  );
  return checks;
}
