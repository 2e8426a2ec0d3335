import pg from "pg";

/** The toolkit's schema name, escaped in this one place. */
export function qualified(schema: string, table: string): string {
  return `${pg.escapeIdentifier(schema)}.${pg.escapeIdentifier(table)}`;
}

export function createHistorySql(schema: string): string {
  return `
    create schema if not exists ${pg.escapeIdentifier(schema)};
    create table if not exists ${qualified(schema, "schema_migrations")} (
      id bigserial primary key,
      source text not null,
      name text not null,
      checksum text not null,
      applied_at timestamptz not null default now(),
      duration_ms integer not null,
      run_id uuid not null,
      applied_by text not null,
      unique (source, name)
    );`;
}

export interface AppliedMigration {
  source: string;
  name: string;
  checksum: string;
  applied_at: Date;
}

/** A pool or a client: anything that runs a query. */
export type Queryable = Pick<pg.Pool, "query"> | Pick<pg.ClientBase, "query">;

export async function readHistory(client: Queryable, schema: string): Promise<AppliedMigration[]> {
  const exists = await client.query<{ ok: boolean }>("select to_regclass($1) is not null as ok", [
    qualified(schema, "schema_migrations"),
  ]);
  if (!exists.rows[0]?.ok) return [];
  const { rows } = await client.query<AppliedMigration>(
    `select source, name, checksum, applied_at from ${qualified(schema, "schema_migrations")} order by id`,
  );
  return rows;
}
