import { nameListKey } from "../ast.js";
import type { LintRule, StatementContext } from "../lint-rule.js";
import { relKey } from "../schema-model.js";
import { show } from "./rule-helpers.js";

const ROLLOUT =
  "During the rollout the old version of the code still runs and uses the old name, so its queries fail until it is gone.";

function renameOf(ctx: StatementContext) {
  const ast = ctx.statement.ast;
  return "RenameStmt" in ast ? ast.RenameStmt : undefined;
}

export const renamingColumn: LintRule = {
  id: "renaming-column",
  severity: "warning",
  summary: "RENAME COLUMN on an existing table",
  kinds: ["RenameStmt"],
  statement(ctx) {
    const s = renameOf(ctx);
    const table = relKey(s?.relation);
    if (s?.renameType !== "OBJECT_COLUMN" || ctx.isNew(table)) return;
    ctx.report(
      `Renaming ${show(table)}.${s.subname ?? ""} to ${s.newname ?? ""}: ${ROLLOUT} Add the new column, write both, backfill, switch reads, then drop the old one (or expose the new name through a view).`,
    );
  },
};

export const renamingTable: LintRule = {
  id: "renaming-table",
  severity: "warning",
  summary: "RENAME of an existing table or view",
  kinds: ["RenameStmt"],
  statement(ctx) {
    const s = renameOf(ctx);
    const table = relKey(s?.relation);
    const kinds = ["OBJECT_TABLE", "OBJECT_VIEW", "OBJECT_MATVIEW"];
    if (!s || !kinds.includes(s.renameType ?? "") || ctx.isNew(table)) return;
    ctx.report(
      `Renaming ${show(table)} to ${s.newname ?? ""}: ${ROLLOUT} Rename it and leave a view with the old name (create view ${table} as select * from ${s.newname ?? ""}) until the old code is gone.`,
    );
  },
};

export const renamingSchema: LintRule = {
  id: "renaming-schema",
  severity: "warning",
  summary: "RENAME of a schema",
  kinds: ["RenameStmt"],
  statement(ctx) {
    const s = renameOf(ctx);
    if (s?.renameType !== "OBJECT_SCHEMA") return;
    ctx.report(
      `Renaming schema "${s.subname ?? ""}" to ${s.newname ?? ""}: ${ROLLOUT} It also breaks every search_path and grant that names it.`,
    );
  },
};

export const renamingEnumValue: LintRule = {
  id: "renaming-enum-value",
  severity: "warning",
  summary: "ALTER TYPE … RENAME VALUE",
  kinds: ["AlterEnumStmt"],
  statement(ctx) {
    const ast = ctx.statement.ast;
    if (!("AlterEnumStmt" in ast) || !ast.AlterEnumStmt.oldVal) return;
    const { oldVal, newVal } = ast.AlterEnumStmt;
    ctx.report(
      `Renaming value '${oldVal}' of ${nameListKey(ast.AlterEnumStmt.typeName)} to '${newVal ?? ""}': the running code still writes '${oldVal}' (22P02 invalid input value) and compares against it. Add the new value, migrate rows and code, and stop using the old one.`,
    );
  },
};

export const RENAME_RULES = [renamingColumn, renamingTable, renamingSchema, renamingEnumValue];
