import { createHash } from "node:crypto";
import { normaliseSql, readMigrationTexts } from "./migration-texts.js";

export interface MigrationFile {
  /** File name (`0001_orders.sql`) or, for Prisma's layout, the folder name. */
  name: string;
  path: string;
  sql: string;
  /** The content as read (Prisma's checksum is of these bytes). */
  raw: string;
  /** SHA-256 of the content with a BOM removed and CRLF turned into LF. */
  checksum: string;
}

/** The checksum that identifies a migration's content, stable across line endings. */
export function migrationChecksum(sql: string): string {
  return createHash("sha256").update(normaliseSql(sql)).digest("hex");
}

/**
 * The migrations of a directory in runner order (name order, byte-wise):
 * plain `*.sql` files, and Prisma's `<name>/migration.sql` folders.
 *
 * @example
 * const files = await loadMigrationFiles("migrations");
 */
export async function loadMigrationFiles(dir: string): Promise<MigrationFile[]> {
  return (await readMigrationTexts(dir)).map((f) => ({ ...f, checksum: migrationChecksum(f.sql) }));
}
