import type { ColumnDef, Constraint, Node, RangeVar } from "@pgsql/types";
import { findAll, nameListKey, names, objectKey, typeKey, typeMods, unwrap } from "./ast.js";

/**
 * What the migrations so far have created, replayed statement by statement
 * in runner order: enough of a catalog for the rules to know whether a table
 * is new, what type a column has, which constraints and indexes exist and
 * which views read a column. Names are truncated to 63 bytes as Postgres
 * stores them.
 */
export interface SchemaModel {
  relations: Map<string, Relation>;
  types: Map<string, TypeInfo>;
  functions: Map<string, { volatility: string; file: number }>;
  /** By `table\0name`. */
  constraints: Map<string, ConstraintInfo>;
  /** By index key (relation namespace). */
  indexes: Map<string, IndexInfo>;
  /** Applies the effects of one statement of file number `file`. */
  apply(statement: { ast: Node; sql: string; line: number }, file: number): void;
}

export type RelationKind = "table" | "partitioned" | "view" | "matview" | "sequence";

export interface Relation {
  key: string;
  /** The name as written (before truncation). */
  written: string;
  kind: RelationKind;
  file: number;
  line: number;
  columns: Map<string, Column>;
  /** For views: the relations and column names they read (`*` for a star). */
  reads?: { relations: Set<string>; columns: Set<string> };
}

export interface Column {
  name: string;
  type: string;
  /** Type modifiers (`varchar(20)` → [20]). */
  mods: number[];
  file: number;
  notNull: boolean;
}

export interface TypeInfo {
  kind: "enum" | "domain" | "composite" | "range";
  values: string[];
  file: number;
}

export interface ConstraintInfo {
  name: string;
  table: string;
  type: string;
  columns: string[];
  /** Added NOT VALID and not validated since. */
  notValid: boolean;
  /** The column a `CHECK (col IS NOT NULL)` proves not null. */
  notNullOf?: string;
  file: number;
  validatedIn?: number;
}

export interface IndexInfo {
  key: string;
  written: string;
  table: string;
  unique: boolean;
  /** Unique, on plain columns, without WHERE: what REFRESH … CONCURRENTLY needs. */
  usableForRefresh: boolean;
  file: number;
  line: number;
}

/** Postgres keeps the first 63 bytes of an identifier (NAMEDATALEN - 1), at a character boundary. */
export function truncateIdentifier(name: string): string {
  // A UTF-16 unit is at most 3 bytes in UTF-8: 21 units always fit.
  if (name.length <= 21 || Buffer.byteLength(name, "utf8") <= 63) return name;
  let out = "";
  let bytes = 0;
  for (const ch of name) {
    const size = Buffer.byteLength(ch, "utf8");
    if (bytes + size > 63) break;
    out += ch;
    bytes += size;
  }
  return out;
}

const IDENT_TAIL = /^[\p{L}\p{N}_$]+/u;

/**
 * The parser hands back identifiers already truncated to 63 bytes; the name
 * as written is recovered from the statement's text: the truncated name
 * followed by more identifier characters.
 */
export function writtenName(sql: string, truncated: string): string {
  if (Buffer.byteLength(truncated, "utf8") < 60) return truncated;
  const lower = sql.toLowerCase();
  for (let i = lower.indexOf(truncated); i !== -1; i = lower.indexOf(truncated, i + 1)) {
    const tail = IDENT_TAIL.exec(sql.slice(i + truncated.length))?.[0];
    if (tail) return truncated + tail.toLowerCase();
  }
  for (let i = sql.indexOf(truncated); i !== -1; i = sql.indexOf(truncated, i + 1)) {
    const end = sql.indexOf('"', i + truncated.length);
    if (end > 0 && sql.lastIndexOf('"', i) === i - 1) return sql.slice(i, end);
  }
  return truncated;
}

export function relKey(rel: RangeVar | undefined): string {
  return objectKey(rel?.schemaname, truncateIdentifier(rel?.relname ?? ""));
}

/** The column a `col IS NOT NULL` check expression is about. */
export function notNullCheckColumn(expr: Node | undefined): string | undefined {
  const [kind, body] = unwrap(expr);
  if (kind !== "NullTest" || body.nulltesttype !== "IS_NOT_NULL") return undefined;
  const [argKind, arg] = unwrap(body.arg);
  if (argKind !== "ColumnRef") return undefined;
  return names(arg.fields as Node[]).at(-1);
}

export function constraintColumns(c: Constraint, column?: string): string[] {
  const keys = [...names(c.keys), ...names(c.fk_attrs)];
  if (keys.length) return keys;
  if (column) return [column];
  return findAll(c.raw_expr, "ColumnRef").map((r) => names(r.fields as Node[]).at(-1) ?? "");
}

export function createSchemaModel(): SchemaModel {
  const relations = new Map<string, Relation>();
  const types = new Map<string, TypeInfo>();
  const functions = new Map<string, { volatility: string; file: number }>();
  const constraints = new Map<string, ConstraintInfo>();
  const indexes = new Map<string, IndexInfo>();

  let sql = "";

  function addRelation(
    rel: RangeVar | undefined,
    kind: RelationKind,
    file: number,
    line: number,
  ): Relation {
    const relation: Relation = {
      key: relKey(rel),
      written: writtenName(sql, rel?.relname ?? ""),
      kind,
      file,
      line,
      columns: new Map(),
    };
    relations.set(relation.key, relation);
    return relation;
  }

  function addColumn(table: Relation | undefined, def: ColumnDef, file: number): void {
    if (!table || !def.colname) return;
    const cons = (def.constraints ?? []).map((n) => ("Constraint" in n ? n.Constraint : {}));
    const notNull = cons.some(
      (c) => c.contype === "CONSTR_NOTNULL" || c.contype === "CONSTR_PRIMARY",
    );
    const name = truncateIdentifier(def.colname);
    table.columns.set(name, {
      name,
      type: typeKey(def.typeName),
      mods: typeMods(def.typeName),
      file,
      notNull,
    });
    for (const c of cons) addConstraint(table.key, c, file, name);
  }

  function addConstraint(table: string, c: Constraint, file: number, column?: string): void {
    if (c.contype === "CONSTR_NOTNULL" || c.contype === "CONSTR_DEFAULT") return;
    const columns = constraintColumns(c, column);
    const name = truncateIdentifier(c.conname ?? `${table}_${columns.join("_")}_${c.contype}`);
    constraints.set(`${table}\0${name}`, {
      name,
      table,
      type: c.contype ?? "",
      columns,
      notValid: c.skip_validation === true,
      notNullOf: c.contype === "CONSTR_CHECK" ? notNullCheckColumn(c.raw_expr) : undefined,
      file,
    });
    if (c.contype === "CONSTR_PRIMARY" || c.contype === "CONSTR_UNIQUE") {
      const key = objectKey(undefined, `${name}`);
      indexes.set(key, {
        key,
        written: name,
        table,
        unique: true,
        usableForRefresh: true,
        file,
        line: 0,
      });
    }
  }

  function apply(statement: { ast: Node; sql: string; line: number }, file: number): void {
    const { ast, line } = statement;
    sql = statement.sql;
    const [kind, body] = unwrap(ast);
    switch (kind) {
      case "CreateStmt": {
        if (!("CreateStmt" in ast)) return;
        const s = ast.CreateStmt;
        const table = addRelation(s.relation, s.partspec ? "partitioned" : "table", file, line);
        for (const elt of s.tableElts ?? []) {
          if ("ColumnDef" in elt) addColumn(table, elt.ColumnDef, file);
          else if ("Constraint" in elt) addConstraint(table.key, elt.Constraint, file);
        }
        return;
      }
      case "CreateTableAsStmt": {
        if (!("CreateTableAsStmt" in ast)) return;
        const s = ast.CreateTableAsStmt;
        const relation = addRelation(
          s.into?.rel,
          s.objtype === "OBJECT_MATVIEW" ? "matview" : "table",
          file,
          line,
        );
        relation.reads = reads(s.query);
        return;
      }
      case "ViewStmt": {
        if (!("ViewStmt" in ast)) return;
        addRelation(ast.ViewStmt.view, "view", file, line).reads = reads(ast.ViewStmt.query);
        return;
      }
      case "CreateSeqStmt":
        if ("CreateSeqStmt" in ast) addRelation(ast.CreateSeqStmt.sequence, "sequence", file, line);
        return;
      case "IndexStmt": {
        if (!("IndexStmt" in ast) || !ast.IndexStmt.idxname) return;
        const s = ast.IndexStmt;
        const key = objectKey(s.relation?.schemaname, truncateIdentifier(s.idxname ?? ""));
        indexes.set(key, {
          key,
          written: writtenName(sql, s.idxname ?? ""),
          table: relKey(s.relation),
          unique: s.unique === true,
          usableForRefresh:
            s.unique === true &&
            !s.whereClause &&
            (s.indexParams ?? []).every((p) => "IndexElem" in p && p.IndexElem.name !== undefined),
          file,
          line,
        });
        return;
      }
      case "AlterTableStmt": {
        if (!("AlterTableStmt" in ast)) return;
        const table = relKey(ast.AlterTableStmt.relation);
        const relation = relations.get(table);
        for (const n of ast.AlterTableStmt.cmds ?? []) {
          if (!("AlterTableCmd" in n)) continue;
          const cmd = n.AlterTableCmd;
          const def = cmd.def;
          const column = relation?.columns.get(truncateIdentifier(cmd.name ?? ""));
          if (cmd.subtype === "AT_AddColumn" && def && "ColumnDef" in def)
            addColumn(relation, def.ColumnDef, file);
          else if (cmd.subtype === "AT_DropColumn") relation?.columns.delete(cmd.name ?? "");
          else if (cmd.subtype === "AT_AlterColumnType" && column && def && "ColumnDef" in def) {
            column.type = typeKey(def.ColumnDef.typeName);
            column.mods = typeMods(def.ColumnDef.typeName);
          } else if (cmd.subtype === "AT_SetNotNull" && column) column.notNull = true;
          else if (cmd.subtype === "AT_DropNotNull" && column) column.notNull = false;
          else if (cmd.subtype === "AT_AddConstraint" && def && "Constraint" in def)
            addConstraint(table, def.Constraint, file);
          else if (cmd.subtype === "AT_ValidateConstraint") {
            const c = constraints.get(`${table}\0${cmd.name ?? ""}`);
            if (c) {
              c.notValid = false;
              c.validatedIn = file;
            }
          } else if (cmd.subtype === "AT_DropConstraint")
            constraints.delete(`${table}\0${cmd.name ?? ""}`);
        }
        return;
      }
      case "RenameStmt": {
        if (!("RenameStmt" in ast)) return;
        const s = ast.RenameStmt;
        const newname = truncateIdentifier(s.newname ?? "");
        const from = relKey(s.relation);
        const relation = relations.get(from);
        if (s.renameType === "OBJECT_COLUMN" && relation) {
          const column = relation.columns.get(s.subname ?? "");
          relation.columns.delete(s.subname ?? "");
          if (column) relation.columns.set(newname, { ...column, name: newname });
        } else if (s.renameType === "OBJECT_INDEX") {
          const index = indexes.get(from);
          indexes.delete(from);
          const key = objectKey(s.relation?.schemaname, newname);
          if (index) indexes.set(key, { ...index, key, written: s.newname ?? "" });
        } else if (relation) {
          relations.delete(from);
          const key = objectKey(s.relation?.schemaname, newname);
          relations.set(key, { ...relation, key, written: s.newname ?? "" });
        }
        return;
      }
      case "DropStmt": {
        if (!("DropStmt" in ast)) return;
        for (const key of droppedKeys(ast)) {
          relations.delete(key);
          indexes.delete(key);
          types.delete(key);
          functions.delete(key);
        }
        return;
      }
      case "CreateEnumStmt":
        if ("CreateEnumStmt" in ast)
          types.set(nameListKey(ast.CreateEnumStmt.typeName), {
            kind: "enum",
            values: names(ast.CreateEnumStmt.vals),
            file,
          });
        return;
      case "AlterEnumStmt": {
        if (!("AlterEnumStmt" in ast)) return;
        const type = types.get(nameListKey(ast.AlterEnumStmt.typeName));
        if (type && ast.AlterEnumStmt.newVal && !ast.AlterEnumStmt.oldVal)
          type.values.push(ast.AlterEnumStmt.newVal);
        return;
      }
      case "CreateDomainStmt":
        if ("CreateDomainStmt" in ast)
          types.set(nameListKey(ast.CreateDomainStmt.domainname), {
            kind: "domain",
            values: [],
            file,
          });
        return;
      case "CompositeTypeStmt":
        types.set(relKey(body.typevar as RangeVar), { kind: "composite", values: [], file });
        return;
      case "CreateRangeStmt":
        if ("CreateRangeStmt" in ast)
          types.set(nameListKey(ast.CreateRangeStmt.typeName), {
            kind: "range",
            values: [],
            file,
          });
        return;
      case "CreateFunctionStmt": {
        if (!("CreateFunctionStmt" in ast)) return;
        const volatility = (ast.CreateFunctionStmt.options ?? [])
          .map((o) => ("DefElem" in o ? o.DefElem : undefined))
          .find((d) => d?.defname === "volatility")?.arg;
        functions.set(nameListKey(ast.CreateFunctionStmt.funcname), {
          volatility:
            volatility && "String" in volatility ? (volatility.String.sval ?? "") : "volatile",
          file,
        });
        return;
      }
    }
  }

  return { relations, types, functions, constraints, indexes, apply };
}

/** Keys of the objects a DROP names. */
export function droppedKeys(ast: Node): string[] {
  if (!("DropStmt" in ast)) return [];
  return (ast.DropStmt.objects ?? []).map((o) => {
    const [kind, body] = unwrap(o);
    if (kind === "List") return truncatedKey(body.items as Node[]);
    if (kind === "TypeName") return nameListKey(body.names as Node[]);
    if (kind === "ObjectWithArgs") return nameListKey(body.objname as Node[]);
    if (kind === "String") return objectKey(undefined, (body.sval as string) ?? "");
    return "";
  });
}

function truncatedKey(list: Node[]): string {
  const parts = names(list);
  return objectKey(
    parts.length > 1 ? parts.at(-2) : undefined,
    truncateIdentifier(parts.at(-1) ?? ""),
  );
}

function reads(query: Node | undefined): { relations: Set<string>; columns: Set<string> } {
  const relations = new Set<string>();
  const columns = new Set<string>();
  for (const rv of findAll(query, "RangeVar")) relations.add(relKey(rv));
  for (const ref of findAll(query, "ColumnRef")) {
    const fields = ref.fields as Node[];
    const last = fields.at(-1);
    if (last && "A_Star" in last) columns.add("*");
    else columns.add(names(fields).at(-1) ?? "");
  }
  return { relations, columns };
}
