import { withClient } from "./with-client.js";

/** A fingerprint of a database: its user schema and every row of every user table and sequence. */
export interface DatabaseDigest {
  /** md5 over the user schema's relations, columns, constraints, functions and types. */
  catalog: string;
  /** `schema.table=md5-of-rows` (and `schema.seq=last_value is_called`) for each, in name order. */
  data: string;
}

const USER_SCHEMAS = `not in ('pg_catalog', 'information_schema', 'pg_toast')`;

/**
 * Digests a database in one repeatable-read snapshot: equal digests before
 * and after mean the schema and the data are exactly as they were (what a
 * dry-run promises, and what a backup drill checks of its source). It reads
 * every row, so it is for scratch copies and test-sized databases, not for a
 * large production one.
 *
 * @example
 * const before = await digestDatabase(url);
 * await dryRunMigrations({ connectionString: url, sources });
 * assert.deepEqual(await digestDatabase(url), before);
 */
export async function digestDatabase(url: string): Promise<DatabaseDigest> {
  return withClient(url, { application_name: "opskit-digest" }, async (client) => {
    await client.query("begin isolation level repeatable read read only");
    const catalog = await client.query<{ d: string }>(`
      select md5(coalesce(string_agg(x, '|' order by x), '')) as d from (
        select format('%s.%s %s %s', n.nspname, c.relname, c.relkind, c.relfilenode) x
          from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname ${USER_SCHEMAS}
        union all select format('%s.%s %s %s %s %s', a.attrelid::regclass, a.attname, a.atttypid, a.attnotnull, a.atthasdef, a.attisdropped)
          from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
         where a.attnum > 0 and n.nspname ${USER_SCHEMAS}
        union all select format('%s %s', k.conname, pg_get_constraintdef(k.oid))
          from pg_constraint k join pg_namespace n on n.oid = k.connamespace where n.nspname ${USER_SCHEMAS}
        union all select format('%s %s', p.proname, pg_get_function_identity_arguments(p.oid))
          from pg_proc p join pg_namespace n on n.oid = p.pronamespace where n.nspname ${USER_SCHEMAS}
        union all select format('%s %s', t.typname, t.typtype)
          from pg_type t join pg_namespace n on n.oid = t.typnamespace where n.nspname ${USER_SCHEMAS}
      ) s`);
    const relations = await client.query<{ name: string; kind: string }>(`
      select format('%I.%I', n.nspname, c.relname) as name, c.relkind as kind
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where c.relkind in ('r', 'S') and n.nspname ${USER_SCHEMAS} order by 1`);
    const parts: string[] = [];
    for (const r of relations.rows) {
      const sql =
        r.kind === "S"
          ? `select format('%s %s', last_value, is_called) as d from ${r.name}`
          : `select md5(coalesce(string_agg(t::text, '|' order by t::text), '')) as d from ${r.name} t`;
      parts.push(`${r.name}=${(await client.query<{ d: string }>(sql)).rows[0]?.d}`);
    }
    await client.query("commit");
    return { catalog: catalog.rows[0]?.d ?? "", data: parts.join(";") };
  });
}
