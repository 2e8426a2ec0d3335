import type { Queryable } from "../db/index.js";

/**
 * The Supabase CLI's history table, read and written as the CLI does
 * (supabase/cli `pkg/migration/history.go`): `supabase_migrations.
 * schema_migrations (version text primary key)` grown by
 * `add column if not exists statements text[]` and `name text`; one row
 * per applied file, `version` the file's leading timestamp, `name` the rest
 * of the file name without `.sql`, `statements` the file's statements.
 * It has no checksum and no failed state (the CLI applies a file and its
 * row in one transaction).
 */
export const SUPABASE_TABLE = "supabase_migrations.schema_migrations";

export function createSupabaseMigrationsSql(): string {
  return `create schema if not exists supabase_migrations;
    create table if not exists ${SUPABASE_TABLE} (version text not null primary key);
    alter table ${SUPABASE_TABLE} add column if not exists statements text[];
    alter table ${SUPABASE_TABLE} add column if not exists name text;`;
}

/** `20240312093000_add_orders.sql` → version `20240312093000`, name `add_orders` (the CLI's split). */
export function supabaseVersionName(file: string): { version: string; name: string } | undefined {
  const m = /^([0-9]+)_(.*)\.sql$/.exec(file);
  return m ? { version: m[1]!, name: m[2]! } : undefined;
}

export async function supabaseTableExists(client: Queryable): Promise<boolean> {
  const { rows } = await client.query<{ ok: boolean }>(
    "select to_regclass('supabase_migrations.schema_migrations') is not null as ok",
  );
  return rows[0]?.ok === true;
}

export interface SupabaseRow {
  version: string;
  name: string | null;
}

export async function readSupabaseRows(client: Queryable): Promise<SupabaseRow[]> {
  const { rows } = await client.query<SupabaseRow>(
    `select version, name from ${SUPABASE_TABLE} order by version`,
  );
  return rows;
}

export async function insertSupabaseRow(
  client: Queryable,
  file: string,
  statements: string[],
): Promise<void> {
  const parts = supabaseVersionName(file);
  if (!parts) throw new Error(`${file} is not a Supabase migration name (<version>_<name>.sql)`);
  await client.query(
    `insert into ${SUPABASE_TABLE} (version, name, statements) values ($1, $2, $3)
     on conflict (version) do update set name = excluded.name, statements = excluded.statements`,
    [parts.version, parts.name, statements],
  );
}
