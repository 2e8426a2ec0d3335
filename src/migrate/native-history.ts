import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import type { Queryable } from "../db/index.js";
import { findPrismaTable, readPrismaRows } from "./prisma-history.js";
import {
  readSupabaseRows,
  SUPABASE_TABLE,
  supabaseTableExists,
  supabaseVersionName,
} from "./supabase-history.js";

/**
 * Whose history a directory has: opskit's alone, or also another tool's
 * table that opskit reads as the applied history and keeps writing.
 */
export type HistoryKind = "opskit" | "prisma" | "supabase";

/** One migration as the other tool's table records it (its latest row). */
export interface NativeRecord {
  /** The file (or Prisma folder) name it belongs to. */
  name: string;
  /**
   * - `applied`: finished (Prisma: finished_at set, not rolled back; Supabase: any row).
   * - `failed`: Prisma: started, neither finished nor rolled back.
   * - `rolled_back`: Prisma: rolled_back_at set (not applied; runs again).
   */
  state: "applied" | "failed" | "rolled_back";
  /** Prisma's checksum (SHA-256 of migration.sql as read); none for Supabase. */
  checksum?: string;
  startedAt?: Date;
  finishedAt?: Date;
  logs?: string;
}

export interface NativeHistory {
  kind: "prisma" | "supabase";
  /** The table, qualified (`"public"."_prisma_migrations"`); undefined when it does not exist yet. */
  table: string | undefined;
  records: Map<string, NativeRecord>;
  /** Rows whose name matches no file of the directory (Supabase: by version). */
  unmatched: string[];
}

/**
 * The history kind of a directory. Prisma: a `migration_lock.toml` or
 * `<name>/migration.sql` folders, or a `_prisma_migrations` table (on the
 * connection's search_path) that records a migration of this directory.
 * Supabase: the directory is `…/supabase/migrations`, or
 * `supabase_migrations.schema_migrations` records a version of one of its
 * files. Otherwise opskit's alone. `declared` (other than `auto`) wins.
 */
export async function detectHistoryKind(
  client: Queryable,
  dir: string,
  declared: HistoryKind | "auto" = "auto",
  fileNames?: string[],
): Promise<HistoryKind> {
  if (declared !== "auto") return declared;
  const layout = directoryLayout(dir);
  if (layout !== "opskit") return layout;
  const names = fileNames ?? (existsSync(dir) ? readdirSync(dir) : []);
  if (names.length === 0) return "opskit";
  const prisma = await findPrismaTable(client);
  if (prisma) {
    const { rows } = await client.query(
      `select 1 from ${prisma} where migration_name = any ($1::text[]) limit 1`,
      [names],
    );
    if (rows.length) return "prisma";
  }
  if (await supabaseTableExists(client)) {
    const versions = names.flatMap((n) => supabaseVersionName(n)?.version ?? []);
    const { rows } = await client.query(
      `select 1 from ${SUPABASE_TABLE} where version = any ($1::text[]) limit 1`,
      [versions],
    );
    if (rows.length) return "supabase";
  }
  return "opskit";
}

/** The kind a directory's files alone say (no database). */
export function directoryLayout(dir: string): HistoryKind {
  if (existsSync(path.join(dir, "migration_lock.toml"))) return "prisma";
  const entries = existsSync(dir) ? readdirSync(dir, { withFileTypes: true }) : [];
  if (entries.some((e) => e.isDirectory() && existsSync(path.join(dir, e.name, "migration.sql"))))
    return "prisma";
  const resolved = path.resolve(dir).split(path.sep);
  if (resolved.at(-1) === "migrations" && resolved.at(-2) === "supabase") return "supabase";
  return "opskit";
}

/** Reads the other tool's table, matched to the directory's file names. */
export async function readNativeHistory(
  client: Queryable,
  kind: "prisma" | "supabase",
  fileNames: string[],
): Promise<NativeHistory> {
  const records = new Map<string, NativeRecord>();
  const unmatched: string[] = [];
  if (kind === "prisma") {
    const table = await findPrismaTable(client);
    if (!table) return { kind, table, records, unmatched };
    const names = new Set(fileNames);
    // As Prisma decides (schema engine, `migrate deploy`): any row neither
    // finished nor rolled back is a failed migration (Prisma refuses to go
    // on, P3009); else any finished, not rolled-back row makes it applied;
    // rows that are all rolled back leave it unapplied (it runs again).
    const rank = { failed: 3, applied: 2, rolled_back: 1 } as const;
    for (const row of await readPrismaRows(client, table)) {
      const state: NativeRecord["state"] = row.rolled_back_at
        ? "rolled_back"
        : row.finished_at
          ? "applied"
          : "failed";
      const previous = records.get(row.migration_name);
      if (previous && rank[previous.state] > rank[state]) continue;
      records.set(row.migration_name, {
        name: row.migration_name,
        state,
        checksum: row.checksum,
        startedAt: row.started_at,
        ...(row.finished_at ? { finishedAt: row.finished_at } : {}),
        ...(row.logs ? { logs: row.logs } : {}),
      });
      if (!names.has(row.migration_name) && !unmatched.includes(row.migration_name))
        unmatched.push(row.migration_name);
    }
    return { kind, table, records, unmatched };
  }
  if (!(await supabaseTableExists(client))) return { kind, table: undefined, records, unmatched };
  const byVersion = new Map<string, string>();
  for (const name of fileNames) {
    const parts = supabaseVersionName(name);
    if (parts) byVersion.set(parts.version, name);
  }
  for (const row of await readSupabaseRows(client)) {
    const name = byVersion.get(row.version);
    if (name === undefined) {
      unmatched.push(`${row.version}_${row.name ?? ""}.sql`);
      continue;
    }
    records.set(name, { name, state: "applied" });
  }
  return { kind, table: SUPABASE_TABLE, records, unmatched };
}
