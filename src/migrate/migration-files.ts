import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";

export interface MigrationFile {
  /** File name (`0001_orders.sql`) or, for Prisma's layout, the folder name. */
  name: string;
  path: string;
  sql: string;
  /** SHA-256 of the content with a BOM removed and CRLF turned into LF. */
  checksum: string;
}

/** The checksum that identifies a migration's content, stable across line endings. */
export function migrationChecksum(sql: string): string {
  return createHash("sha256").update(normaliseSql(sql)).digest("hex");
}

function normaliseSql(sql: string): string {
  return sql.replace(/^\uFEFF/, "").replace(/\r\n/g, "\n");
}

/**
 * The migrations of a directory in runner order (name order, byte-wise):
 * plain `*.sql` files, and Prisma's `<name>/migration.sql` folders.
 *
 * @example
 * const files = await loadMigrationFiles("migrations");
 */
export async function loadMigrationFiles(dir: string): Promise<MigrationFile[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const files: MigrationFile[] = [];
  for (const entry of entries) {
    let file: string | undefined;
    if (entry.isFile() && entry.name.endsWith(".sql")) file = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      const candidate = path.join(dir, entry.name, "migration.sql");
      const exists = await readFile(candidate, "utf8").then(
        () => true,
        () => false,
      );
      if (exists) file = candidate;
    }
    if (file === undefined) continue;
    const sql = normaliseSql(await readFile(file, "utf8"));
    files.push({ name: entry.name, path: file, sql, checksum: migrationChecksum(sql) });
  }
  return files.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
