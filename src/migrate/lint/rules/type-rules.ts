import type { ColumnDef, Node } from "@pgsql/types";
import { isArrayType, names, perStatement, typeKey, typeMods } from "../ast.js";
import type { LintRule, Severity, StatementContext } from "../lint-rule.js";
import { columnConstraints } from "./rule-helpers.js";

interface TypedColumn {
  def: ColumnDef;
  /** Part of the primary key, or an identity / serial column: a key. */
  key: boolean;
  /** `typeKey` and `typeMods` of its type, worked out once for the six rules. */
  type: string;
  mods: number[];
}

/** Column definitions of CREATE TABLE, ADD COLUMN and ALTER COLUMN TYPE. */
const typedColumns = perStatement((ast: Node): TypedColumn[] => {
  const out: TypedColumn[] = [];
  const add = (def: ColumnDef, pk: Set<string>) => {
    const cons = columnConstraints(def);
    const type = typeKey(def.typeName);
    const key =
      pk.has(def.colname ?? "") ||
      cons.some((c) => c.contype === "CONSTR_PRIMARY" || c.contype === "CONSTR_IDENTITY") ||
      /serial/.test(type);
    out.push({ def, key, type, mods: typeMods(def.typeName) });
  };
  if ("CreateStmt" in ast) {
    const pk = new Set<string>();
    for (const e of ast.CreateStmt.tableElts ?? [])
      if ("Constraint" in e && e.Constraint.contype === "CONSTR_PRIMARY")
        for (const k of names(e.Constraint.keys)) pk.add(k);
    for (const e of ast.CreateStmt.tableElts ?? []) if ("ColumnDef" in e) add(e.ColumnDef, pk);
  } else if ("AlterTableStmt" in ast) {
    for (const n of ast.AlterTableStmt.cmds ?? []) {
      if (!("AlterTableCmd" in n)) continue;
      const { subtype, def, name } = n.AlterTableCmd;
      if (!def || !("ColumnDef" in def)) continue;
      if (subtype === "AT_AddColumn") add(def.ColumnDef, new Set());
      if (subtype === "AT_AlterColumnType") add({ ...def.ColumnDef, colname: name }, new Set());
    }
  }
  return out;
});

function typeRule(
  id: string,
  severity: Severity,
  summary: string,
  message: (column: TypedColumn, type: string, mods: number[]) => string | undefined,
): LintRule {
  return {
    id,
    severity,
    summary,
    kinds: ["CreateStmt", "AlterTableStmt"],
    statement(ctx: StatementContext) {
      for (const column of typedColumns(ctx.statement.ast)) {
        const text = message(column, column.type, column.mods);
        if (text) ctx.report(text, column.def.typeName?.location ?? column.def.location);
      }
    },
  };
}

export const preferBigintOverInt = typeRule(
  "prefer-bigint-over-int",
  "warning",
  "A key column (primary key, identity, serial) of type int, smallint, serial or smallserial",
  ({ def, key }, type) =>
    key && ["int4", "int2", "serial", "serial4", "smallserial", "serial2"].includes(type)
      ? `Key column ${def.colname ?? ""} is ${type}: it overflows at ${type.endsWith("2") || type === "smallserial" ? "32,767" : "2,147,483,647"}, and widening it later rewrites the table (and every referencing one). Use bigint (bigint generated always as identity).`
      : undefined,
);

export const preferIdentity = typeRule(
  "prefer-identity",
  "info",
  "serial / bigserial instead of an identity column",
  ({ def }, type) =>
    /serial/.test(type)
      ? `${def.colname ?? ""} is ${type}: its sequence is a separate object with its own ownership and grants. Prefer bigint generated always as identity (SQL standard, owned by the column).`
      : undefined,
);

export const preferTextField = typeRule(
  "prefer-text-field",
  "info",
  "varchar(n) instead of text",
  ({ def }, type, mods) =>
    type === "varchar" && mods.length > 0
      ? `${def.colname ?? ""} is varchar(${mods[0] ?? ""}): raising the limit later is cheap, but lowering it rewrites under an ACCESS EXCLUSIVE lock, and the limit is rarely a real rule. Use text with a CHECK (length(…) <= n) if a limit matters.`
      : undefined,
);

export const banCharField = typeRule(
  "ban-char-field",
  "warning",
  "char(n) / character(n)",
  ({ def }, type) =>
    type === "bpchar"
      ? `${def.colname ?? ""} is char(n): values are blank-padded, comparisons ignore trailing spaces in surprising ways, and it is no faster than text. Use text (or varchar).`
      : undefined,
);

export const preferTimestamptz = typeRule(
  "prefer-timestamptz",
  "warning",
  "timestamp without time zone",
  ({ def }, type) =>
    type === "timestamp"
      ? `${def.colname ?? ""} is timestamp without time zone: the offset is lost and values depend on each client's TimeZone. Use timestamptz.`
      : undefined,
);

export const preferJsonb = typeRule(
  "prefer-jsonb",
  "warning",
  "json instead of jsonb",
  ({ def }, type) =>
    type === "json" && !isArrayType(def.typeName)
      ? `${def.colname ?? ""} is json: it has no equality operator, so SELECT DISTINCT, GROUP BY and UNION over it fail (42883), and it cannot be indexed. Use jsonb.`
      : undefined,
);

export const TYPE_RULES = [
  preferBigintOverInt,
  preferIdentity,
  preferTextField,
  banCharField,
  preferTimestamptz,
  preferJsonb,
];
