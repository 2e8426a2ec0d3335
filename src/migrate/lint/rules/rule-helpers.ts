import type { AlterTableCmd, ColumnDef, Constraint, Node, RangeVar } from "@pgsql/types";
import { functionKey, perStatement, unwrap, walk } from "../ast.js";
import type { StatementContext } from "../lint-rule.js";
import { relKey, type SchemaModel } from "../schema-model.js";

export interface AlterCommand {
  cmd: AlterTableCmd;
  table: string;
  relation: RangeVar | undefined;
}

const alterCommandsOf = perStatement((ast: Node): AlterCommand[] => {
  if (!("AlterTableStmt" in ast)) return [];
  const relation = ast.AlterTableStmt.relation;
  const table = relKey(relation);
  return (ast.AlterTableStmt.cmds ?? []).flatMap((n) =>
    "AlterTableCmd" in n ? [{ cmd: n.AlterTableCmd, table, relation }] : [],
  );
});

/** The sub-commands of an ALTER TABLE statement, with their table's key. */
export function alterCommands(ctx: StatementContext): AlterCommand[] {
  return alterCommandsOf(ctx.statement.ast);
}

export function columnDefOf(cmd: AlterTableCmd): ColumnDef | undefined {
  return cmd.def && "ColumnDef" in cmd.def ? cmd.def.ColumnDef : undefined;
}

export function constraintOf(cmd: AlterTableCmd): Constraint | undefined {
  return cmd.def && "Constraint" in cmd.def ? cmd.def.Constraint : undefined;
}

export function columnConstraints(def: ColumnDef | undefined): Constraint[] {
  const list: Constraint[] = [];
  for (const n of def?.constraints ?? []) if ("Constraint" in n) list.push(n.Constraint);
  return list;
}

/** ALTER TABLE … ADD COLUMN sub-commands of the statement on an existing table. */
export function addedColumnsOnExisting(
  ctx: StatementContext,
): { def: ColumnDef; cmd: AlterTableCmd; table: string }[] {
  return alterCommands(ctx).flatMap(({ cmd, table }) => {
    const def = columnDefOf(cmd);
    return cmd.subtype === "AT_AddColumn" && def && !ctx.isNew(table) ? [{ def, cmd, table }] : [];
  });
}

/** Display name of a relation key. */
export function show(key: string): string {
  return `"${key}"`;
}

// Built-in functions that are VOLATILE (pg_proc.provolatile = 'v') and show
// up in defaults and backfills. now() and current_timestamp are STABLE.
const VOLATILE = new Set([
  "random",
  "random_normal",
  "gen_random_uuid",
  "uuidv4",
  "uuidv7",
  "uuid_generate_v1",
  "uuid_generate_v1mc",
  "uuid_generate_v4",
  "gen_random_bytes",
  "clock_timestamp",
  "timeofday",
  "nextval",
  "setval",
  "txid_current",
  "pg_current_xact_id",
]);

/**
 * The first volatile function called in an expression: a built-in one from
 * the list above, or a function the migrations created without IMMUTABLE or
 * STABLE (CREATE FUNCTION defaults to VOLATILE).
 */
export function volatileCall(expr: unknown, model: SchemaModel): string | undefined {
  let found: string | undefined;
  walk(expr, (kind, body) => {
    if (found) return false;
    if (kind !== "FuncCall") return;
    const name = functionKey(body.funcname as Node[]);
    const created = model.functions.get(name);
    if (created ? created.volatility === "volatile" : VOLATILE.has(name)) found = name;
  });
  return found;
}

/** A SET name = value statement's name and constant value. */
export function setting(ast: Node): { name: string; value: string | undefined } | undefined {
  if (!("VariableSetStmt" in ast)) return undefined;
  const s = ast.VariableSetStmt;
  const [kind, body] = unwrap(s.args?.[0]);
  let value: string | undefined;
  if (kind === "A_Const") {
    const sval = body.sval as { sval?: string } | undefined;
    const ival = body.ival as { ival?: number } | undefined;
    value = sval?.sval ?? (ival ? String(ival.ival ?? 0) : undefined);
  }
  return { name: s.name ?? "", value: s.kind === "VAR_SET_DEFAULT" ? "default" : value };
}

/** `0`, `0ms`, `0s`… */
export function isZeroDuration(value: string | undefined): boolean {
  return value !== undefined && /^0+(\.0+)?\s*(us|ms|s|min|h|d)?$/.test(value.trim());
}
