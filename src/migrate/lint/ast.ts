import type { Node, RangeVar, TypeName } from "@pgsql/types";

/** A node's fields, whatever its type. */
export type NodeBody = Record<string, unknown>;

// libpg-query wraps list members and `Node`-typed fields as `{ Kind: body }`,
// but a field with a fixed type holds the bare body (`IndexStmt.relation` is
// a RangeVar body). The walker names those from the field.
const FIELD_KINDS: Record<string, string> = {
  relation: "RangeVar",
  table: "RangeVar",
  sequence: "RangeVar",
  view: "RangeVar",
  typevar: "RangeVar",
  rel: "RangeVar",
  pktable: "RangeVar",
  identitySequence: "RangeVar",
  constrrel: "RangeVar",
  typeName: "TypeName",
  type_name: "TypeName",
  returnType: "TypeName",
  argType: "TypeName",
  targettype: "TypeName",
  storedtype: "TypeName",
  sourcetype: "TypeName",
  ofTypename: "TypeName",
  datatype: "TypeName",
  withClause: "WithClause",
  into: "IntoClause",
  intoClause: "IntoClause",
  val: "SelectStmt",
  larg: "SelectStmt",
  rarg: "SelectStmt",
  onConflictClause: "OnConflictClause",
  partbound: "PartitionBoundSpec",
  bound: "PartitionBoundSpec",
  partspec: "PartitionSpec",
  func: "ObjectWithArgs",
  alias: "Alias",
};

function isUpper(key: string): boolean {
  const c = key.charCodeAt(0);
  return c >= 65 && c <= 90;
}

/**
 * Visits every node under `value`, wrapped or bare, depth first. Return
 * `false` from `visit` to skip a node's children.
 */
export function walk(
  value: unknown,
  visit: (kind: string, body: NodeBody) => boolean | void,
  kind?: string,
): void {
  if (Array.isArray(value)) {
    for (const item of value) walk(item, visit);
    return;
  }
  if (value === null || typeof value !== "object") return;
  const body = value as NodeBody;
  if (kind !== undefined && visit(kind, body) === false) return;
  for (const key in body) {
    const child = body[key];
    if (child === null || typeof child !== "object") continue;
    if (isUpper(key) && !Array.isArray(child)) walk(child, visit, key);
    else if (Array.isArray(child)) walk(child, visit);
    else {
      // A `Node`-typed field holds a wrapper (`{ RangeVar: … }`): its key names the kind.
      let first: string | undefined;
      for (const k in child) {
        first = k;
        break;
      }
      if (first !== undefined && isUpper(first)) walk(child, visit);
      else walk(child, visit, key === "name" && "relname" in child ? "RangeVar" : FIELD_KINDS[key]);
    }
  }
}

/** The kind and body of a wrapped node. */
export function unwrap(node: unknown): [string, NodeBody] {
  if (node === null || typeof node !== "object") return ["", {}];
  for (const key in node) return [key, (node as Record<string, NodeBody>)[key] ?? {}];
  return ["", {}];
}

/** Every node of a kind under `value`. */
export function findAll(value: unknown, kind: string): NodeBody[] {
  const found: NodeBody[] = [];
  walk(value, (k, body) => {
    if (k === kind) found.push(body);
  });
  return found;
}

/** Strings of a name list (`[{String: {sval: "public"}}, {String: {sval: "t"}}]`). */
export function names(list: Node[] | undefined): string[] {
  return (list ?? []).map((n) => ("String" in n ? (n.String.sval ?? "") : ""));
}

/**
 * One key for a schema object. Unqualified names and `public.` are the same
 * object (the default search_path); other schemas keep their prefix.
 */
export function objectKey(schema: string | undefined, name: string): string {
  return schema && schema !== "public" ? `${schema}.${name}` : name;
}

export function relationKey(rel: RangeVar | undefined): string {
  return objectKey(rel?.schemaname, rel?.relname ?? "");
}

export function nameListKey(list: Node[] | undefined): string {
  return partsKey(names(list));
}

function partsKey(parts: string[]): string {
  const name = parts.at(-1) ?? "";
  return objectKey(parts.length > 1 ? parts.at(-2) : undefined, name);
}

/** `pg_catalog.int4` → `int4`, `varchar(20)` → `varchar`, user types keep their key. */
export function typeKey(type: TypeName | undefined): string {
  const parts = names(type?.names);
  if (parts[0] === "pg_catalog" && parts.length === 2) return parts[1] ?? "";
  return partsKey(parts);
}

/** Integer type modifiers (`varchar(20)` → [20]). */
export function typeMods(type: TypeName | undefined): number[] {
  return (type?.typmods ?? []).map((n) => {
    const [, body] = unwrap(n);
    const ival = (body.ival as { ival?: number } | undefined)?.ival;
    return ival ?? 0;
  });
}

export function isArrayType(type: TypeName | undefined): boolean {
  return (type?.arrayBounds?.length ?? 0) > 0;
}

/** The text of a string constant node, if it is one. */
export function stringConstant(node: unknown): string | undefined {
  const [kind, body] = unwrap(node);
  if (kind !== "A_Const") return undefined;
  return (body.sval as { sval?: string } | undefined)?.sval;
}

/** Function name of a FuncCall body, lower-cased, without `pg_catalog.`. */
export function functionKey(funcname: Node[] | undefined): string {
  const parts = names(funcname);
  if (parts[0] === "pg_catalog" && parts.length === 2) return parts[1] ?? "";
  return partsKey(parts);
}

/** The node's byte `location`, if it has one. */
export function locationOf(body: NodeBody | undefined): number | undefined {
  const location = body?.location;
  return typeof location === "number" && location >= 0 ? location : undefined;
}

/**
 * Derived views of a statement that several rules ask for, computed once per
 * statement (keyed on its AST node; `astOf` finds it in another argument).
 * The rules run statement by statement, so the last statement's value is the
 * one asked for again: one entry, not a WeakMap (whose entries the garbage
 * collector has to trace).
 */
export function perStatement<A, T>(
  fn: (arg: A) => T,
  astOf: (arg: A) => unknown = (arg) => arg,
): (arg: A) => T {
  let last: unknown;
  let value: T;
  return (arg) => {
    const ast = astOf(arg);
    if (ast !== last) {
      value = fn(arg);
      last = ast;
    }
    return value;
  };
}
