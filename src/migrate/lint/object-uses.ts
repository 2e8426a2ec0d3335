import type { Node, RangeVar } from "@pgsql/types";
import { functionKey, nameListKey, names, objectKey, typeKey, unwrap } from "./ast.js";
import { relKey, truncateIdentifier } from "./schema-model.js";
import { statementFacts } from "./statement-facts.js";

export type ObjectKind = "relation" | "type" | "function" | "column";

export interface ObjectRef {
  kind: ObjectKind;
  /** Relation, type or function key; `table.column` for a column. */
  key: string;
  /** Byte location of the reference, when the parser gives one. */
  location?: number;
}

/** What a statement creates (for the cross-file "used before created" check). */
export function createdObjects(ast: Node): ObjectRef[] {
  const [kind, body] = unwrap(ast);
  const out: ObjectRef[] = [];
  const column = (table: string, name: string | undefined) =>
    name && out.push({ kind: "column", key: `${table}.${truncateIdentifier(name)}` });
  switch (kind) {
    case "CreateStmt": {
      const table = relKey(body.relation as RangeVar);
      out.push({ kind: "relation", key: table });
      for (const elt of (body.tableElts as Node[] | undefined) ?? [])
        if ("ColumnDef" in elt) column(table, elt.ColumnDef.colname);
      break;
    }
    case "CreateTableAsStmt":
      out.push({ kind: "relation", key: relKey((body.into as { rel?: RangeVar }).rel) });
      break;
    case "ViewStmt":
      out.push({ kind: "relation", key: relKey(body.view as RangeVar) });
      break;
    case "CreateSeqStmt":
      out.push({ kind: "relation", key: relKey(body.sequence as RangeVar) });
      break;
    case "CreateEnumStmt":
    case "CreateRangeStmt":
      out.push({ kind: "type", key: nameListKey(body.typeName as Node[]) });
      break;
    case "CreateDomainStmt":
      out.push({ kind: "type", key: nameListKey(body.domainname as Node[]) });
      break;
    case "CompositeTypeStmt":
      out.push({ kind: "type", key: relKey(body.typevar as RangeVar) });
      break;
    case "CreateFunctionStmt":
      out.push({ kind: "function", key: nameListKey(body.funcname as Node[]) });
      break;
    case "AlterTableStmt": {
      const table = relKey(body.relation as RangeVar);
      for (const n of (body.cmds as Node[] | undefined) ?? []) {
        if (!("AlterTableCmd" in n)) continue;
        const def = n.AlterTableCmd.def;
        if (n.AlterTableCmd.subtype === "AT_AddColumn" && def && "ColumnDef" in def)
          column(table, def.ColumnDef.colname);
      }
      break;
    }
    case "RenameStmt": {
      const rel = body.relation as RangeVar | undefined;
      const newname = (body.newname as string | undefined) ?? "";
      if (body.renameType === "OBJECT_COLUMN") column(relKey(rel), newname);
      else if (body.renameType === "OBJECT_TYPE")
        out.push({ kind: "type", key: objectKey(undefined, newname) });
      else if (rel) out.push({ kind: "relation", key: objectKey(rel.schemaname, newname) });
      break;
    }
  }
  return out;
}

/**
 * The relations, types, functions and columns a statement refers to, other
 * than the ones it creates. CTE names are not relations; DROP … IF EXISTS
 * refers to nothing.
 */
export function usedObjects(ast: Node): ObjectRef[] {
  const [kind, body] = unwrap(ast);
  if (kind === "DropStmt" || kind === "CreateFunctionStmt") return [];
  // The RangeVar of the object the statement creates (at most one).
  const created =
    kind === "CreateStmt"
      ? body.relation
      : kind === "ViewStmt"
        ? body.view
        : kind === "CreateSeqStmt"
          ? body.sequence
          : kind === "CompositeTypeStmt"
            ? body.typevar
            : undefined;
  const into = (body.into as { rel?: unknown } | undefined)?.rel;
  const facts = statementFacts(ast);
  const out: ObjectRef[] = [];
  for (const rv of facts.rangeVars) {
    if (rv === created || rv === into) continue;
    if (!rv.schemaname && facts.cteNames.has(rv.relname ?? "")) continue;
    out.push({ kind: "relation", key: relKey(rv), location: rv.location });
  }
  for (const t of facts.typeNames)
    out.push({ kind: "type", key: typeKey(t), location: t.location });
  for (const f of facts.funcCalls)
    out.push({
      kind: "function",
      key: functionKey(f.funcname as Node[]),
      location: f.location as number,
    });
  out.push(...usedColumns(kind, body));
  return out;
}

// ALTER TABLE sub-commands whose `name` is a column (in others it names a
// constraint, trigger, index or tablespace).
const COLUMN_COMMANDS = new Set([
  "AT_AlterColumnType",
  "AT_SetNotNull",
  "AT_DropNotNull",
  "AT_DropColumn",
  "AT_ColumnDefault",
  "AT_SetStatistics",
  "AT_SetStorage",
  "AT_SetOptions",
  "AT_ResetOptions",
  "AT_AddIdentity",
  "AT_SetIdentity",
  "AT_DropIdentity",
  "AT_SetCompression",
  "AT_DropExpression",
]);

function usedColumns(kind: string, body: Record<string, unknown>): ObjectRef[] {
  const table = relKey(body.relation as RangeVar | undefined);
  const refs = (cols: (string | undefined)[]) =>
    cols
      .filter((c): c is string => Boolean(c))
      .map((c): ObjectRef => ({ kind: "column", key: `${table}.${truncateIdentifier(c)}` }));
  const targetNames = (list: unknown) =>
    ((list as Node[] | undefined) ?? []).map((n) =>
      "ResTarget" in n ? n.ResTarget.name : undefined,
    );
  switch (kind) {
    case "IndexStmt":
      return refs(
        ((body.indexParams as Node[] | undefined) ?? []).map((n) =>
          "IndexElem" in n ? n.IndexElem.name : undefined,
        ),
      );
    case "UpdateStmt":
      return refs(targetNames(body.targetList));
    case "InsertStmt":
      return refs(targetNames(body.cols));
    case "RenameStmt":
      return body.renameType === "OBJECT_COLUMN" ? refs([body.subname as string]) : [];
    case "AlterTableStmt": {
      const cols: (string | undefined)[] = [];
      for (const n of (body.cmds as Node[] | undefined) ?? []) {
        if (!("AlterTableCmd" in n)) continue;
        const cmd = n.AlterTableCmd;
        if (cmd.subtype === "AT_AddColumn" || cmd.missing_ok) continue;
        if (cmd.name && COLUMN_COMMANDS.has(cmd.subtype ?? "")) cols.push(cmd.name);
        const def = cmd.def;
        if (cmd.subtype === "AT_AddConstraint" && def && "Constraint" in def)
          cols.push(...names(def.Constraint.keys), ...names(def.Constraint.fk_attrs));
      }
      return refs(cols);
    }
    default:
      return [];
  }
}
