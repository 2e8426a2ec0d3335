import type { Node, RangeVar } from "@pgsql/types";
import { names, objectKey, perStatement, unwrap, walk, type NodeBody } from "../ast.js";
import type { LintRule, StatementContext } from "../lint-rule.js";
import { usedObjects, type ObjectKind } from "../object-uses.js";
import { relKey, truncateIdentifier, writtenName } from "../schema-model.js";
import { statementFacts } from "../statement-facts.js";
import { show, volatileCall } from "./rule-helpers.js";

/**
 * `UPDATE t … FROM x JOIN j ON j.c = t.c`: the target is not visible inside
 * the FROM clause's JOIN conditions, so Postgres fails with 42P01 at run time
 * although the statement parses (and a SELECT preview of it works).
 */
export const updateFromJoinReferencesTarget: LintRule = {
  id: "update-from-join-references-target",
  severity: "error",
  summary:
    "UPDATE … FROM / DELETE … USING with the target referenced in a JOIN … ON of that clause (42P01)",
  kinds: ["UpdateStmt", "DeleteStmt"],
  statement(ctx) {
    const ast = ctx.statement.ast;
    const [relation, from] =
      "UpdateStmt" in ast
        ? [ast.UpdateStmt.relation, ast.UpdateStmt.fromClause]
        : "DeleteStmt" in ast
          ? [ast.DeleteStmt.relation, ast.DeleteStmt.usingClause]
          : [undefined, undefined];
    if (!relation || !from?.length) return;
    const target = relation.alias?.aliasname ?? relation.relname ?? "";
    // Another FROM item with the same name would be what the reference means.
    const shadowed = findRangeVars(from).some(
      (rv) => (rv.alias?.aliasname ?? rv.relname) === target,
    );
    if (shadowed) return;
    for (const join of joinsOf(from)) {
      let hit: NodeBody | undefined;
      walk(join.quals, (kind, body) => {
        if (hit || kind === "SubLink") return false;
        if (kind === "ColumnRef") {
          const fields = names(body.fields as Node[]);
          if (fields.length >= 2 && fields[0] === target) hit = body;
        }
      });
      if (!hit) continue;
      const verb = "UpdateStmt" in ast ? "UPDATE … FROM" : "DELETE … USING";
      ctx.report(
        `The JOIN … ON condition refers to "${target}", the ${verb} target, which is not visible inside the ${"UpdateStmt" in ast ? "FROM" : "USING"} clause: this parses, then fails at deploy with 42P01 (invalid reference to FROM-clause entry for table "${target}"). List the joined tables separately (FROM x, j) and put the condition on "${target}" in WHERE, or join in a CTE and update from it.`,
        hit.location as number,
      );
      return;
    }
  },
};

function joinsOf(from: Node[]): NodeBody[] {
  const joins: NodeBody[] = [];
  walk(from, (kind, body) => {
    if (kind === "RangeSubselect" || kind === "SubLink") return false;
    if (kind === "JoinExpr") joins.push(body);
  });
  return joins;
}

function findRangeVars(from: Node[]): RangeVar[] {
  return from.flatMap((n) => {
    const [kind, body] = unwrap(n);
    return kind === "RangeVar" ? [body] : [];
  });
}

export const volatileInDistinct: LintRule = {
  id: "volatile-in-distinct",
  severity: "error",
  summary:
    "SELECT DISTINCT with a volatile function (gen_random_uuid(), random()…) in its select list",
  statement(ctx) {
    for (const select of statementFacts(ctx.statement.ast).distinctSelects) {
      const fn = volatileCall(select.targetList, ctx.model);
      if (!fn) continue;
      ctx.report(
        `${fn}() gives every row a different value, so DISTINCT over a select list containing it removes no duplicates (an INSERT … SELECT DISTINCT then fails with 23505 on a unique target, once production has duplicates). Apply DISTINCT in a subquery or CTE, and call ${fn}() outside it.`,
      );
      return;
    }
  },
};

const MISSING_STATE: Record<ObjectKind, string> = {
  relation: "42P01 (relation does not exist)",
  type: "42704 (type does not exist)",
  function: "42883 (function does not exist)",
  column: "42703 (column does not exist)",
};

export const useBeforeCreate: LintRule = {
  id: "use-before-create",
  severity: "error",
  summary: "An object used before the migration that creates it, in runner order",
  statement(ctx) {
    let seen: Set<string> | undefined;
    for (const use of usedObjects(ctx.statement.ast)) {
      const id = `${use.kind}:${use.key}`;
      const created = ctx.creations.get(id);
      if (!created || created.seq <= ctx.seq || seen?.has(id)) continue;
      (seen ??= new Set()).add(id);
      const where =
        created.file === ctx.file.index
          ? `later in this file (line ${created.line})`
          : `in ${ctx.fileName(created.file)} (line ${created.line}), which runs after this one`;
      ctx.report(
        `${use.kind} ${show(use.key)} is used here but created ${where}. A database built from scratch (a new environment, a replay) applies migrations in name order and fails here with ${MISSING_STATE[use.kind]}, even if production applied them in another order. Rename the files so the creating migration sorts first, or move the CREATE before this.`,
        use.location,
      );
    }
  },
};

type CreatedName = { name: string; space: string; what: string };
/** Names a statement creates, with the namespace they must be unique in (two rules ask). */
const createdNames = perStatement(
  (ctx: StatementContext): CreatedName[] => {
    const ast = ctx.statement.ast;
    const [kind, body] = unwrap(ast);
    const out: { name: string; space: string; what: string }[] = [];
    const relation = (rv: RangeVar | undefined, what: string) =>
      rv?.relname && out.push({ name: rv.relname, space: `rel:${rv.schemaname ?? ""}`, what });
    const columns = (table: string, defs: unknown) => {
      walk(defs, (k, b) => {
        if (k === "ColumnDef" && b.colname)
          out.push({ name: b.colname as string, space: `col:${table}`, what: "column" });
        if (k === "Constraint" && b.conname)
          out.push({ name: b.conname as string, space: `con:${table}`, what: "constraint" });
        return k !== "ColumnDef" && k !== "Constraint" ? undefined : false;
      });
    };
    if (kind === "CreateStmt") {
      relation(body.relation as RangeVar, "table");
      columns(relKey(body.relation as RangeVar), body.tableElts);
    } else if (kind === "AlterTableStmt") {
      columns(relKey(body.relation as RangeVar), body.cmds);
    } else if (kind === "IndexStmt" && body.idxname) {
      const rv = body.relation as RangeVar | undefined;
      out.push({
        name: body.idxname as string,
        space: `rel:${rv?.schemaname ?? ""}`,
        what: "index",
      });
    } else if (kind === "ViewStmt") relation(body.view as RangeVar, "view");
    else if (kind === "CreateSeqStmt") relation(body.sequence as RangeVar, "sequence");
    else if (kind === "CreateTableAsStmt") relation((body.into as { rel?: RangeVar }).rel, "table");
    else if (kind === "CreateEnumStmt" || kind === "CreateRangeStmt")
      out.push({ name: names(body.typeName as Node[]).at(-1) ?? "", space: "type", what: "type" });
    else if (kind === "CreateDomainStmt")
      out.push({
        name: names(body.domainname as Node[]).at(-1) ?? "",
        space: "type",
        what: "domain",
      });
    else if (kind === "CreateFunctionStmt")
      out.push({
        name: names(body.funcname as Node[]).at(-1) ?? "",
        space: "fn",
        what: "function",
      });
    else if (kind === "RenameStmt" && body.newname)
      out.push({
        name: body.newname as string,
        space: `rename:${String(body.renameType)}`,
        what: "new name",
      });
    // The parser truncated the names; report them as written.
    return out.map((o) => ({ ...o, name: writtenName(ctx.statement.sql, o.name) }));
  },
  (ctx: StatementContext) => ctx.statement.ast,
);

export const identifierTooLong: LintRule = {
  id: "identifier-too-long",
  severity: "warning",
  summary: "An identifier longer than 63 bytes (silently truncated)",
  statement(ctx) {
    for (const { name, what } of createdNames(ctx)) {
      const bytes = Buffer.byteLength(name, "utf8");
      if (bytes <= 63) continue;
      ctx.report(
        `The ${what} name "${name}" is ${bytes} bytes; Postgres silently truncates identifiers to 63 bytes ("${truncateIdentifier(name)}"), so the name in the database is not the one in the code, and two such names can collide. Shorten it.`,
      );
    }
  },
};

export const identifierTruncationCollision: LintRule = {
  id: "identifier-truncation-collision",
  severity: "error",
  summary:
    "Two different names that are the same after truncation to 63 bytes (42P07 / 42701 / 42710)",
  statement(ctx) {
    const local = new Map<string, string>();
    for (const { name, space, what } of createdNames(ctx)) {
      const truncated = truncateIdentifier(name);
      const key = `${space}\0${truncated}`;
      let other = local.get(key);
      if (!other && space.startsWith("rel:")) {
        const k = objectKey(space.slice(4) || undefined, truncated);
        other = ctx.model.relations.get(k)?.written ?? ctx.model.indexes.get(k)?.written;
      }
      if (!other && space.startsWith("col:") && truncated !== name)
        other = ctx.model.relations.get(space.slice(4))?.columns.has(truncated)
          ? truncated
          : undefined;
      local.set(key, name);
      if (!other || other === name || truncateIdentifier(other) !== truncated) continue;
      ctx.report(
        `The ${what} name "${name}" and the existing "${other}" are the same after Postgres truncates them to 63 bytes ("${truncated}"): this fails at deploy with ${space.startsWith("col:") ? "42701" : space.startsWith("con:") ? "42710" : "42P07"} (already exists). Give them names that differ within the first 63 bytes.`,
      );
    }
  },
};

export const refreshConcurrentlyWithoutUniqueIndex: LintRule = {
  id: "refresh-concurrently-without-unique-index",
  severity: "error",
  summary: "REFRESH MATERIALIZED VIEW CONCURRENTLY on a view with no usable unique index (55000)",
  kinds: ["RefreshMatViewStmt"],
  statement(ctx) {
    const ast = ctx.statement.ast;
    if (!("RefreshMatViewStmt" in ast) || !ast.RefreshMatViewStmt.concurrent) return;
    const key = relKey(ast.RefreshMatViewStmt.relation);
    if (ctx.model.relations.get(key)?.kind !== "matview") return;
    const ok = [...ctx.model.indexes.values()].some((i) => i.table === key && i.usableForRefresh);
    if (ok) return;
    ctx.report(
      `Materialized view ${show(key)} has no unique index on plain columns without WHERE (none in the migrations before this), so REFRESH … CONCURRENTLY fails with 55000. Create one first: CREATE UNIQUE INDEX … ON ${key} (<key columns>).`,
    );
  },
};

export const DEPLOY_FAILURE_RULES = [
  updateFromJoinReferencesTarget,
  volatileInDistinct,
  useBeforeCreate,
  identifierTooLong,
  identifierTruncationCollision,
  refreshConcurrentlyWithoutUniqueIndex,
];
