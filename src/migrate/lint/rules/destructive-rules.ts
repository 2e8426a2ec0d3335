import type { LintRule } from "../lint-rule.js";
import { droppedKeys, relKey } from "../schema-model.js";
import { show } from "./rule-helpers.js";

const TABLE_DROPS = new Set(["OBJECT_TABLE", "OBJECT_MATVIEW"]);

/** Keys of existing tables this DROP TABLE removes. */
function droppedExistingTables(ctx: Parameters<NonNullable<LintRule["statement"]>>[0]): string[] {
  const ast = ctx.statement.ast;
  if (!("DropStmt" in ast) || !TABLE_DROPS.has(ast.DropStmt.removeType ?? "")) return [];
  return droppedKeys(ast).filter((key) => {
    const relation = ctx.model.relations.get(key);
    return !relation || !ctx.isNewFile(relation.file);
  });
}

/** Tables a later CREATE TABLE in the same file recreates. */
function recreatedLater(ctx: Parameters<NonNullable<LintRule["statement"]>>[0]): Set<string> {
  const out = new Set<string>();
  for (const s of ctx.statements.slice(ctx.index + 1))
    if ("CreateStmt" in s.ast) out.add(relKey(s.ast.CreateStmt.relation));
  return out;
}

export const banDropTable: LintRule = {
  id: "ban-drop-table",
  severity: "error",
  summary: "DROP TABLE of a table that already exists",
  kinds: ["DropStmt"],
  statement(ctx) {
    const dropped = droppedExistingTables(ctx);
    if (dropped.length === 0) return;
    const recreated = recreatedLater(ctx);
    for (const key of dropped.filter((k) => !recreated.has(k)))
      ctx.report(
        `Dropping ${show(key)} deletes its data for good and breaks every client still reading it. Stop using it in a release first; rename it away (and drop it later) if you want a way back; then add \`-- opskit-lint-ignore ban-drop-table: <why>\`.`,
      );
  },
};

export const banRecreateTable: LintRule = {
  id: "ban-recreate-table",
  severity: "error",
  summary: "DROP TABLE then CREATE TABLE of the same existing table (data loss)",
  kinds: ["DropStmt"],
  statement(ctx) {
    const dropped = droppedExistingTables(ctx);
    if (dropped.length === 0) return;
    const recreated = recreatedLater(ctx);
    for (const key of dropped.filter((k) => recreated.has(k)))
      ctx.report(
        `${show(key)} is dropped and created again in this migration: every row in production is lost (an empty CI database does not show it). ALTER the existing table instead.`,
      );
  },
};

export const banDropSchemaOrDatabase: LintRule = {
  id: "ban-drop-schema-or-database",
  severity: "error",
  summary: "DROP SCHEMA / DROP DATABASE",
  kinds: ["DropStmt", "DropdbStmt"],
  statement(ctx) {
    const ast = ctx.statement.ast;
    const what =
      "DropdbStmt" in ast
        ? `database "${ast.DropdbStmt.dbname ?? ""}"`
        : "DropStmt" in ast && ast.DropStmt.removeType === "OBJECT_SCHEMA"
          ? `schema ${droppedKeys(ast).join(", ")}`
          : undefined;
    if (!what) return;
    ctx.report(
      `Dropping ${what} deletes everything in it. Migrations should not do this; run it by hand, deliberately, if it is really meant.`,
    );
  },
};

export const banTruncateCascade: LintRule = {
  id: "ban-truncate-cascade",
  severity: "error",
  summary: "TRUNCATE … CASCADE",
  kinds: ["TruncateStmt"],
  statement(ctx) {
    const ast = ctx.statement.ast;
    if (!("TruncateStmt" in ast) || ast.TruncateStmt.behavior !== "DROP_CASCADE") return;
    ctx.report(
      "TRUNCATE … CASCADE also empties every table with a foreign key to these, and theirs, transitively: far more than the statement names. List the tables to truncate explicitly, without CASCADE.",
    );
  },
};

export const banDeleteWithoutWhere: LintRule = {
  id: "ban-delete-without-where",
  severity: "error",
  summary: "DELETE without WHERE on an existing table",
  kinds: ["DeleteStmt"],
  statement(ctx) {
    const ast = ctx.statement.ast;
    if (!("DeleteStmt" in ast) || ast.DeleteStmt.whereClause) return;
    const table = relKey(ast.DeleteStmt.relation);
    if (ctx.isNew(table)) return;
    ctx.report(
      `DELETE FROM ${show(table)} without WHERE deletes every row in production; it succeeds, so nothing stops it. Add the WHERE clause you meant (or write TRUNCATE if emptying the table is the point, with an ignore and its reason).`,
    );
  },
};

export const banUpdateWithoutWhere: LintRule = {
  id: "ban-update-without-where",
  severity: "warning",
  summary: "UPDATE without WHERE on an existing table",
  kinds: ["UpdateStmt"],
  statement(ctx) {
    const ast = ctx.statement.ast;
    if (!("UpdateStmt" in ast) || ast.UpdateStmt.whereClause) return;
    const table = relKey(ast.UpdateStmt.relation);
    if (ctx.isNew(table)) return;
    ctx.report(
      `UPDATE ${show(table)} without WHERE rewrites every row in one transaction, holding row locks on all of them (and a typo'd backfill overwrites good data). Add the WHERE you meant; for a backfill, update in batches (where id between … and … and col is null) from a job.`,
    );
  },
};

export const DESTRUCTIVE_RULES = [
  banDropTable,
  banRecreateTable,
  banDropSchemaOrDatabase,
  banTruncateCascade,
  banDeleteWithoutWhere,
  banUpdateWithoutWhere,
];
