import type { Queryable } from "../../db/index.js";
import { quoteIdent, quoteTable, type SecretColumn } from "../secret-column.js";

/** Records the columns a service declared (upsert), so the CLI can count them. */
export async function registerSecretColumns(
  db: Queryable,
  columns: readonly SecretColumn[],
): Promise<void> {
  if (columns.length === 0) return;
  await db.query(
    `insert into opskit.secret_columns (table_name, column_name, id_column)
     select * from unnest($1::text[], $2::text[], $3::text[])
     on conflict (table_name, column_name) do update set id_column = excluded.id_column`,
    [columns.map((c) => c.table), columns.map((c) => c.column), columns.map((c) => c.idColumn)],
  );
}

export async function listSecretColumns(db: Queryable): Promise<SecretColumn[]> {
  const { rows } = await db.query<{ table_name: string; column_name: string; id_column: string }>(
    "select table_name, column_name, id_column from opskit.secret_columns order by table_name, column_name",
  );
  return rows.map((r) => ({ table: r.table_name, column: r.column_name, idColumn: r.id_column }));
}

/** Values per key id in one column (`(plain)` for values that are not envelopes). A full scan: an operator's read. */
export async function countSecretsByKey(
  db: Queryable,
  column: SecretColumn,
): Promise<{ keyId: string; count: number }[]> {
  const col = quoteIdent(column.column);
  const { rows } = await db.query<{ key_id: string; n: string }>(
    `select case when ${col} like 'okv1.%' then split_part(${col}, '.', 2) else '(plain)' end as key_id,
            count(*) as n
       from ${quoteTable(column.table)} where ${col} is not null group by 1 order by 1`,
  );
  return rows.map((r) => ({ keyId: r.key_id, count: Number(r.n) }));
}

/**
 * The SQL type of the id column (`bigint`, `uuid`, `text`): ids travel as
 * text and are cast back to it, so the lookups use the primary key's index.
 */
export async function idColumnType(db: Queryable, column: SecretColumn): Promise<string> {
  const { rows } = await db.query<{ type: string }>(
    `select format_type(atttypid, atttypmod) as type from pg_attribute
      where attrelid = $1::regclass and attname = $2 and not attisdropped`,
    [quoteTable(column.table), column.idColumn],
  );
  if (!rows[0]) throw new Error(`${column.table}.${column.idColumn} does not exist`);
  return rows[0].type;
}

/** The next batch after `afterId` whose value is not under `keyId`, in id order. No lock taken. */
export async function selectSecretsToRotate(
  db: Queryable,
  column: SecretColumn,
  keyId: string,
  idType: string,
  afterId: string | null,
  limit: number,
): Promise<{ id: string; value: string }[]> {
  const col = quoteIdent(column.column);
  const id = quoteIdent(column.idColumn);
  // The id leaves as row_id: an output column named like the id column would
  // make ORDER BY sort by its text (1, 10, 100, 2…) and skip rows.
  const { rows } = await db.query<{ row_id: string; value: string }>(
    `select t.${id}::text as row_id, t.${col} as value from ${quoteTable(column.table)} t
      where t.${col} is not null and t.${col} not like $1
        and ($2::text is null or t.${id} > $2::text::${idType})
      order by t.${id} limit $3`,
    [`okv1.${keyId}.%`, afterId, limit],
  );
  return rows.map((r) => ({ id: r.row_id, value: r.value }));
}

/**
 * Writes re-encrypted values where the stored one is still the one read: a
 * value the service changed meanwhile is left alone (it was written under
 * the primary key anyway). Returns how many rows changed.
 */
export async function updateRotatedSecrets(
  db: Queryable,
  column: SecretColumn,
  idType: string,
  rows: readonly { id: string; old: string; value: string }[],
): Promise<number> {
  const col = quoteIdent(column.column);
  const id = quoteIdent(column.idColumn);
  const result = await db.query(
    `update ${quoteTable(column.table)} t set ${col} = u.value
       from unnest($1::text[], $2::text[], $3::text[]) as u(id, old, value)
      where t.${id} = u.id::${idType} and t.${col} = u.old`,
    [rows.map((r) => r.id), rows.map((r) => r.old), rows.map((r) => r.value)],
  );
  return result.rowCount ?? 0;
}
