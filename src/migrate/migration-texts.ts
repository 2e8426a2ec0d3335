import { readFileSync } from "node:fs";
import { readdir } from "node:fs/promises";
import path from "node:path";
import { sortByName } from "./migration-versions.js";

export interface MigrationText {
  /** File name (`0001_orders.sql`) or, for Prisma's layout, the folder name. */
  name: string;
  path: string;
  /** The content with a BOM removed and CRLF turned into LF. */
  sql: string;
  /** The content as read (Prisma's checksum is of these exact bytes). */
  raw: string;
}

export function normaliseSql(sql: string): string {
  return sql.replace(/^\uFEFF/, "").replace(/\r\n/g, "\n");
}

/**
 * The migrations of a directory in runner order (name order, byte-wise):
 * plain `*.sql` files, and Prisma's `<name>/migration.sql` folders. Without
 * checksums (`loadMigrationFiles` adds them), so the linter does not load
 * node:crypto.
 *
 * @example
 * const texts = await readMigrationTexts("migrations");
 */
export async function readMigrationTexts(dir: string): Promise<MigrationText[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const files: MigrationText[] = [];
  for (const entry of entries) {
    let file: string | undefined;
    if (entry.isFile() && entry.name.endsWith(".sql")) file = path.join(dir, entry.name);
    if (entry.isDirectory()) file = path.join(dir, entry.name, "migration.sql");
    if (file === undefined) continue;
    // Read synchronously: a history is hundreds of small files, and a promise
    // per file (open, stat, read, close on the thread pool) costs a lint of
    // 500 files about 40 ms of CPU for nothing.
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (error) {
      if (entry.isDirectory()) continue;
      throw error;
    }
    files.push({ name: entry.name, path: file, sql: normaliseSql(text), raw: text });
  }
  return sortByName(files);
}
