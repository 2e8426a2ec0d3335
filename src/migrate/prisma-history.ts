import { createHash, randomUUID } from "node:crypto";
import pg from "pg";
import type { Queryable } from "../db/index.js";

/**
 * Prisma Migrate's history table, `_prisma_migrations`, read and written as
 * Prisma's schema engine does (prisma-engines, sql-schema-connector's
 * Postgres flavour): the table is unqualified, so it lives in the
 * connection's schema (`?schema=` in Prisma's URL, `public` by default);
 * here, the first schema of the connection's search_path that has it.
 */

/** Prisma's own DDL for the table (schema engine, Postgres flavour), byte for byte in meaning. */
export function createPrismaMigrationsSql(schema: string): string {
  return `CREATE TABLE IF NOT EXISTS ${pg.escapeIdentifier(schema)}."_prisma_migrations" (
    id                      VARCHAR(36) PRIMARY KEY NOT NULL,
    checksum                VARCHAR(64) NOT NULL,
    finished_at             TIMESTAMPTZ,
    migration_name          VARCHAR(255) NOT NULL,
    logs                    TEXT,
    rolled_back_at          TIMESTAMPTZ,
    started_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    applied_steps_count     INTEGER NOT NULL DEFAULT 0
  )`;
}

/** Prisma's checksum of a migration.sql: the SHA-256 hex of the file's text as read. */
export function prismaChecksum(raw: string): string {
  return createHash("sha256").update(raw, "utf8").digest("hex");
}

/**
 * Whether a file matches a checksum Prisma recorded, by Prisma's own rule
 * (schema engine `checksum.rs`): the text as read, with CRLF turned into
 * LF, or with LF turned into CRLF (git's line endings are not an edit); and
 * an old engine's checksums whose bytes were rendered without zero padding.
 */
export function prismaChecksumMatches(raw: string, checksum: string): boolean {
  const variants = [raw, raw.replace(/\r\n/g, "\n"), raw.replace(/\n/g, "\r\n")];
  return variants.some((text) => {
    const digest = createHash("sha256").update(text, "utf8").digest();
    const rendered =
      checksum.length !== 0 && checksum.length !== 64
        ? [...digest].map((b) => b.toString(16)).join("")
        : digest.toString("hex");
    return rendered === checksum;
  });
}

export interface PrismaRow {
  id: string;
  migration_name: string;
  checksum: string;
  started_at: Date;
  finished_at: Date | null;
  rolled_back_at: Date | null;
  logs: string | null;
  applied_steps_count: number;
}

/** `"schema"."_prisma_migrations"` as the connection finds it, or undefined. */
export async function findPrismaTable(client: Queryable): Promise<string | undefined> {
  const { rows } = await client.query<{ schema: string }>(
    `select n.nspname as schema
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where c.relname = '_prisma_migrations' and c.relkind in ('r', 'p')
        and n.nspname = any (current_schemas(false))
      order by array_position(current_schemas(false), n.nspname)
      limit 1`,
  );
  const schema = rows[0]?.schema;
  return schema === undefined ? undefined : prismaTable(schema);
}

export function prismaTable(schema: string): string {
  return `${pg.escapeIdentifier(schema)}."_prisma_migrations"`;
}

/** Creates the table as Prisma would (in the connection's current schema); returns it. */
export async function ensurePrismaTable(client: Queryable): Promise<string> {
  const found = await findPrismaTable(client);
  if (found) return found;
  const { rows } = await client.query<{ schema: string | null }>(
    "select current_schema() as schema",
  );
  const schema = rows[0]?.schema ?? "public";
  await client.query(createPrismaMigrationsSql(schema));
  return prismaTable(schema);
}

export async function readPrismaRows(client: Queryable, table: string): Promise<PrismaRow[]> {
  const { rows } = await client.query<PrismaRow>(
    `select id, migration_name, checksum, started_at, finished_at, rolled_back_at, logs,
            applied_steps_count
       from ${table} order by started_at, id`,
  );
  return rows;
}

/** A finished row, as Prisma's `migrate deploy` leaves one behind (one step: the whole script). */
export async function insertPrismaApplied(
  client: Queryable,
  table: string,
  row: { name: string; checksum: string; startedAt?: Date },
): Promise<void> {
  await client.query(
    `insert into ${table} (id, checksum, finished_at, migration_name, logs, rolled_back_at,
                           started_at, applied_steps_count)
     values ($1, $2, now(), $3, null, null, coalesce($4, now()), 1)`,
    [randomUUID(), row.checksum, row.name, row.startedAt ?? null],
  );
}

/**
 * What opskit writes in `logs` of the started row of a file it runs
 * statement by statement: Prisma shows it for a row left unfinished, and
 * opskit reads it to resume such a file itself (its own progress says where)
 * instead of calling it failed.
 */
export const OPSKIT_STARTED_LOG =
  "opskit migrate: running statement by statement; `opskit migrate up` resumes it where it stopped";

/** A started row (`finished_at` null) for a file run statement by statement, as Prisma does. */
export async function insertPrismaStarted(
  client: Queryable,
  table: string,
  row: { name: string; checksum: string },
): Promise<void> {
  await client.query(
    `insert into ${table} (id, checksum, finished_at, migration_name, logs, rolled_back_at,
                           started_at, applied_steps_count)
     values ($1, $2, null, $3, $4, null, now(), 0)`,
    [randomUUID(), row.checksum, row.name, OPSKIT_STARTED_LOG],
  );
}

/** Finishes the open (started, not rolled back) row of a name; inserts one if there is none. */
export async function finishPrismaRow(
  client: Queryable,
  table: string,
  row: { name: string; checksum: string },
): Promise<void> {
  const { rowCount } = await client.query(
    `update ${table} set finished_at = now(), applied_steps_count = 1, checksum = $2, logs = null
      where migration_name = $1 and finished_at is null and rolled_back_at is null`,
    [row.name, row.checksum],
  );
  if (!rowCount) await insertPrismaApplied(client, table, row);
}

/**
 * Prisma's `?schema=NAME` in a connection string: the schema Prisma puts
 * `_prisma_migrations` and the migrations' unqualified objects in (it sets
 * `search_path` to it). node-postgres ignores the parameter; the runner's
 * sessions honour it the way Prisma does, so a Prisma URL means the same to
 * both.
 */
export function prismaSchemaOf(connectionString: string): string | undefined {
  const m = /[?&]schema=([^&#]*)/.exec(connectionString);
  if (!m?.[1]) return undefined;
  try {
    return decodeURIComponent(m[1]);
  } catch {
    return undefined;
  }
}

/**
 * Sets the session's search_path to Prisma's `?schema=` when the URL has
 * one; `create`: creates the schema first when missing, as Prisma's
 * `migrate deploy` does.
 */
export async function applyPrismaSchema(
  client: Queryable,
  connectionString: string,
  create = false,
): Promise<void> {
  const schema = prismaSchemaOf(connectionString);
  if (schema === undefined) return;
  if (create) await client.query(`create schema if not exists ${pg.escapeIdentifier(schema)}`);
  await client.query("select set_config('search_path', $1, false)", [pg.escapeIdentifier(schema)]);
}
