import pg from "pg";
import type { PreparedMigration } from "./migration-mode.js";
import { createSourceText } from "./source-text.js";

/**
 * A read-only question asked of the target's data before a dry-run applies a
 * data-dependent operation: how many rows would make it fail? (A dry-run
 * also applies the operation, but it stops at the first failure and names
 * the constraint, not the count; the counts are what an operator needs to
 * size the cleanup.)
 */
export interface Precheck {
  source: string;
  file: string;
  line: number;
  kind: "not_null" | "unique" | "primary_key" | "foreign_key" | "check" | "not_null_column";
  table: string;
  /** What is checked, in words: `orders.customer_id has no NULLs`. */
  description: string;
  /** The counting query (read-only). */
  sql: string;
  /** A foreign key that names no parent columns: the query is built once the parent's key is read. */
  parentKeyOf?: { parent: string; from: string[] };
}

export interface PrecheckResult extends Precheck {
  /** Rows (or duplicate groups) that would make the operation fail; undefined when skipped. */
  violations: number | undefined;
  /** Why it was not run: the table does not exist yet (created by a pending migration), … */
  skipped?: string;
}

type Names = { String?: { sval?: string } }[] | undefined;
interface RangeVar {
  schemaname?: string;
  relname?: string;
}
interface ConstraintNode {
  contype?: string;
  keys?: Names;
  fk_attrs?: Names;
  pk_attrs?: Names;
  pktable?: RangeVar;
  skip_validation?: boolean;
  indexname?: string;
  location?: number;
}

const id = (name: string) => pg.escapeIdentifier(name);
const tableOf = (r: RangeVar) =>
  r.schemaname ? `${id(r.schemaname)}.${id(r.relname ?? "")}` : id(r.relname ?? "");
/** The table as the migration names it, for messages. */
const shown = (r: RangeVar) =>
  r.schemaname ? `${r.schemaname}.${r.relname ?? ""}` : (r.relname ?? "");
const namesOf = (names: Names) => (names ?? []).map((n) => n.String?.sval ?? "");
const notNull = (cols: string[]) => cols.map((c) => `${id(c)} is not null`).join(" and ");

/** The prechecks of one file, from its statements' syntax trees. */
export function findPrechecks(file: PreparedMigration): Precheck[] {
  const source = createSourceText(file.sql);
  const found: Precheck[] = [];
  const add = (line: number, p: Omit<Precheck, "source" | "file" | "line">) =>
    found.push({ source: file.source, file: file.name, line, ...p });
  for (const statement of file.statements) {
    const ast = statement.ast as {
      AlterTableStmt?: { relation?: RangeVar; cmds?: { AlterTableCmd?: AlterTableCmd }[] };
      IndexStmt?: {
        unique?: boolean;
        relation?: RangeVar;
        indexParams?: { IndexElem?: { name?: string } }[];
        whereClause?: unknown;
      };
    };
    if (ast.IndexStmt?.unique && ast.IndexStmt.relation) {
      const cols = (ast.IndexStmt.indexParams ?? []).map((p) => p.IndexElem?.name);
      // Expression or partial indexes: the count would need the expression's text; the dry-run itself still catches them.
      if (cols.every((c): c is string => c !== undefined) && !ast.IndexStmt.whereClause) {
        const table = tableOf(ast.IndexStmt.relation);
        const name = shown(ast.IndexStmt.relation);
        add(statement.line, {
          kind: "unique",
          table,
          description: `${name} (${cols.join(", ")}) has no duplicates`,
          sql: duplicatesSql(table, cols, false),
        });
      }
    }
    const alter = ast.AlterTableStmt;
    if (!alter?.relation) continue;
    const table = tableOf(alter.relation);
    const name = shown(alter.relation);
    for (const { AlterTableCmd: cmd } of alter.cmds ?? []) {
      if (!cmd) continue;
      if (cmd.subtype === "AT_SetNotNull" && cmd.name) {
        add(statement.line, {
          kind: "not_null",
          table,
          description: `${name}.${cmd.name} has no NULLs`,
          sql: `select count(*) from ${table} where ${id(cmd.name)} is null`,
        });
      }
      const column = cmd.def?.ColumnDef;
      if (cmd.subtype === "AT_AddColumn" && column?.colname) {
        const cons = (column.constraints ?? []).map((c) => c.Constraint?.contype);
        if (
          cons.includes("CONSTR_NOTNULL") &&
          !cons.includes("CONSTR_DEFAULT") &&
          !cons.includes("CONSTR_GENERATED")
        ) {
          add(statement.line, {
            kind: "not_null_column",
            table,
            description: `${name} is empty (new column ${column.colname} is NOT NULL without a default)`,
            sql: `select count(*) from ${table}`,
          });
        }
      }
      const con = cmd.def?.Constraint;
      if (cmd.subtype !== "AT_AddConstraint" || !con || con.skip_validation || con.indexname)
        continue;
      const keys = namesOf(con.keys);
      if (con.contype === "CONSTR_UNIQUE" || con.contype === "CONSTR_PRIMARY") {
        const primary = con.contype === "CONSTR_PRIMARY";
        add(statement.line, {
          kind: primary ? "primary_key" : "unique",
          table,
          description: `${name} (${keys.join(", ")}) has no duplicates${primary ? " and no NULLs" : ""}`,
          sql: duplicatesSql(table, keys, primary),
        });
      } else if (con.contype === "CONSTR_FOREIGN" && con.pktable) {
        const from = namesOf(con.fk_attrs);
        const parent = tableOf(con.pktable);
        const parentName = shown(con.pktable);
        const to = namesOf(con.pk_attrs);
        add(statement.line, {
          kind: "foreign_key",
          table,
          description: `every ${name} (${from.join(", ")}) has its row in ${parentName}`,
          // Without a column list the reference is the parent's primary key, read at run time.
          sql: to.length ? orphansSql(table, from, parent, to) : "",
          ...(to.length ? {} : { parentKeyOf: { parent, from } }),
        });
      } else if (con.contype === "CONSTR_CHECK" && con.location !== undefined) {
        const expr = checkExpression(file.sql, source.offsetOfByte(con.location));
        if (expr) {
          add(statement.line, {
            kind: "check",
            table,
            description: `every ${name} row satisfies CHECK (${expr})`,
            sql: `select count(*) from ${table} where not (${expr})`,
          });
        }
      }
    }
  }
  return found;
}

interface AlterTableCmd {
  subtype?: string;
  name?: string;
  def?: {
    Constraint?: ConstraintNode;
    ColumnDef?: { colname?: string; constraints?: { Constraint?: ConstraintNode }[] };
  };
}

/** Groups of equal keys (rows with a NULL key never collide, except under a primary key). */
function duplicatesSql(table: string, cols: string[], primary: boolean): string {
  const list = cols.map(id).join(", ");
  const dupes = `select count(*) from (select 1 from ${table} where ${notNull(cols)} group by ${list} having count(*) > 1) d`;
  if (!primary) return dupes;
  return `select (${dupes}) + (select count(*) from ${table} where not (${notNull(cols)}))`;
}

function orphansSql(table: string, from: string[], parent: string, to: string[]): string {
  const present = from.map((f) => `c.${id(f)} is not null`).join(" and ");
  const match = from.map((f, i) => `p.${id(to[i] ?? "")} = c.${id(f)}`).join(" and ");
  return `select count(*) from ${table} c where ${present} and not exists (select 1 from ${parent} p where ${match})`;
}

async function primaryKeyOf(client: pg.ClientBase, parent: string): Promise<string[]> {
  const { rows } = await client.query<{ name: string }>(
    `select a.attname as name
       from pg_constraint k join pg_attribute a on a.attrelid = k.conrelid and a.attnum = any(k.conkey)
      where k.conrelid = $1::regclass and k.contype = 'p'
      order by array_position(k.conkey, a.attnum)`,
    [parent],
  );
  return rows.map((r) => r.name);
}

/**
 * The text of `CHECK ( … )` starting at a constraint's offset: the
 * parenthesised expression, found by matching parentheses outside quotes
 * (libpg-query gives the expression's start but not its end, and has no
 * deparser).
 */
function checkExpression(sql: string, from: number): string | undefined {
  const open = /\bcheck\s*\(/i.exec(sql.slice(from));
  if (!open) return undefined;
  const start = from + open.index + open[0].length;
  let depth = 1;
  for (let i = start; i < sql.length; i++) {
    const ch = sql[i];
    if (ch === "'" || ch === '"') {
      const close = sql.indexOf(ch, i + 1);
      if (close === -1) return undefined;
      i = close; // a doubled quote re-enters here and closes again: same result
      continue;
    }
    if (ch === "(") depth++;
    if (ch === ")" && --depth === 0) return sql.slice(start, i).trim();
  }
  return undefined;
}

/**
 * Runs the prechecks read-only, each in its own read-only transaction with a
 * statement timeout, so a precheck can never change or hang the target. A
 * table that does not exist yet (created by a pending migration) is skipped.
 */
export async function runPrechecks(
  client: pg.ClientBase,
  prechecks: Precheck[],
  timeoutMs: number,
): Promise<PrecheckResult[]> {
  const results: PrecheckResult[] = [];
  for (const check of prechecks) {
    try {
      await client.query("begin read only");
      await client.query("select set_config('statement_timeout', $1, true)", [`${timeoutMs}ms`]);
      const sql = check.parentKeyOf
        ? orphansSql(
            check.table,
            check.parentKeyOf.from,
            check.parentKeyOf.parent,
            await primaryKeyOf(client, check.parentKeyOf.parent),
          )
        : check.sql;
      const { rows } = await client.query<{ n: string }>(`select (${sql})::text as n`);
      results.push({ ...check, sql, violations: Number(rows[0]?.n ?? 0) });
    } catch (error) {
      const e = error as { code?: string; message?: string };
      const skipped =
        e.code === "42P01" || e.code === "42703"
          ? "the table or column does not exist yet (created by a pending migration)"
          : e.code === "57014"
            ? `not finished within ${timeoutMs} ms`
            : (e.message ?? "failed");
      results.push({ ...check, violations: undefined, skipped });
    } finally {
      await client.query("rollback").catch(() => undefined);
    }
  }
  return results;
}
