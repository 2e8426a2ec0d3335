import pg from "pg";

/**
 * Ordinary tables of every user schema, not members of an extension (pg_dump
 * leaves those to `create extension`). Partitioned parents hold no rows of
 * their own; their partitions are counted.
 */
const USER_TABLES = `
  select n.nspname as schema, c.relname as name
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
   where c.relkind = 'r' and c.relpersistence <> 't'
     and n.nspname not in ('pg_catalog', 'information_schema')
     and n.nspname not like 'pg_toast%' and n.nspname not like 'pg_temp_%'
     and not exists (select 1 from pg_depend d
                      where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'e')
   order by 1, 2`;

/** `schema.table` → exact row count; in a snapshot when `client` is in a repeatable-read transaction. */
export async function countRows(
  client: pg.ClientBase,
  onTable?: (name: string) => void,
): Promise<Record<string, number>> {
  const tables = (await client.query<{ schema: string; name: string }>(USER_TABLES)).rows;
  const counts: Record<string, number> = {};
  for (const t of tables) {
    const name = `${t.schema}.${t.name}`;
    const { rows } = await client.query<{ n: string }>(
      `select count(*) as n from ${pg.escapeIdentifier(t.schema)}.${pg.escapeIdentifier(t.name)}`,
    );
    counts[name] = Number(rows[0]?.n ?? 0);
    onTable?.(name);
  }
  return counts;
}

/** How many user tables a database has (a restore target with any is refused unless replaced). */
export async function countUserTables(client: pg.ClientBase): Promise<number> {
  const { rows } = await client.query<{ n: string }>(
    `select count(*) as n from (${USER_TABLES}) t`,
  );
  return Number(rows[0]?.n ?? 0);
}
