import type { Node } from "@pgsql/types";
import { nameListKey, names } from "../ast.js";
import type { LintRule } from "../lint-rule.js";
import { relKey } from "../schema-model.js";
import { option } from "../../transaction-block-restriction.js";
import { alterCommands, show } from "./rule-helpers.js";

export const requireConcurrentDetachPartition: LintRule = {
  id: "require-concurrent-detach-partition",
  severity: "warning",
  summary: "DETACH PARTITION without CONCURRENTLY (PG 14+)",
  kinds: ["AlterTableStmt"],
  statement(ctx) {
    if (ctx.pg.major < 14) return;
    for (const { cmd, table } of alterCommands(ctx)) {
      const def = cmd.def;
      if (cmd.subtype !== "AT_DetachPartition" || ctx.isNew(table)) continue;
      if (def && "PartitionCmd" in def && def.PartitionCmd.concurrent) continue;
      ctx.report(
        `DETACH PARTITION takes an ACCESS EXCLUSIVE lock on ${show(table)} and the partition. Write DETACH PARTITION … CONCURRENTLY (PG 14+), alone in a file with \`-- opskit:no-transaction\`.`,
      );
    }
  },
};

export const banVacuumFullAndCluster: LintRule = {
  id: "ban-vacuum-full-and-cluster",
  severity: "error",
  summary: "VACUUM FULL or CLUSTER (full rewrite under ACCESS EXCLUSIVE)",
  kinds: ["VacuumStmt", "ClusterStmt"],
  statement(ctx) {
    const ast = ctx.statement.ast;
    const full = "VacuumStmt" in ast && option(ast.VacuumStmt.options, "full") === true;
    if (!full && !("ClusterStmt" in ast)) return;
    ctx.report(
      `${full ? "VACUUM FULL" : "CLUSTER"} rewrites the whole table under an ACCESS EXCLUSIVE lock: no reads or writes until it ends. Use pg_repack (or REPACK CONCURRENTLY on PG 19+) outside migrations.`,
    );
  },
};

export const requireEnumValueOrdering: LintRule = {
  id: "require-enum-value-ordering",
  severity: "info",
  summary: "ALTER TYPE … ADD VALUE without BEFORE / AFTER",
  kinds: ["AlterEnumStmt"],
  statement(ctx) {
    const ast = ctx.statement.ast;
    if (!("AlterEnumStmt" in ast)) return;
    const s = ast.AlterEnumStmt;
    if (!s.newVal || s.oldVal || s.newValNeighbor) return;
    ctx.report(
      `'${s.newVal}' is appended to the end of enum ${show(nameListKey(s.typeName))}: enum order is what < and ORDER BY use. Say where it goes (ADD VALUE '${s.newVal}' BEFORE/AFTER '…') so the order is a decision.`,
    );
  },
};

function duplicates(list: (string | undefined)[]): string[] {
  const seen = new Set<string>();
  const dups = new Set<string>();
  for (const name of list) {
    if (name === undefined) continue;
    if (seen.has(name)) dups.add(name);
    seen.add(name);
  }
  return [...dups];
}

function targetNames(list: Node[] | undefined): (string | undefined)[] {
  return (list ?? []).map((n) => ("ResTarget" in n ? n.ResTarget.name : undefined));
}

export const banDuplicateColumn: LintRule = {
  id: "ban-duplicate-column",
  severity: "error",
  summary: "The same column twice in CREATE TABLE / VIEW, INSERT or UPDATE SET (42701)",
  kinds: ["CreateStmt", "ViewStmt", "InsertStmt", "UpdateStmt", "AlterTableStmt"],
  statement(ctx) {
    const ast = ctx.statement.ast;
    let list: (string | undefined)[] = [];
    if ("CreateStmt" in ast)
      list = (ast.CreateStmt.tableElts ?? []).map((e) =>
        "ColumnDef" in e ? e.ColumnDef.colname : undefined,
      );
    else if ("ViewStmt" in ast) list = names(ast.ViewStmt.aliases);
    else if ("InsertStmt" in ast) list = targetNames(ast.InsertStmt.cols);
    else if ("UpdateStmt" in ast) list = targetNames(ast.UpdateStmt.targetList);
    else if ("AlterTableStmt" in ast)
      list = alterCommands(ctx).map(({ cmd }) =>
        cmd.subtype === "AT_AddColumn" && cmd.def && "ColumnDef" in cmd.def
          ? cmd.def.ColumnDef.colname
          : undefined,
      );
    const dups = duplicates(list);
    if (dups.length === 0) return;
    const table =
      "CreateStmt" in ast
        ? relKey(ast.CreateStmt.relation)
        : "UpdateStmt" in ast
          ? relKey(ast.UpdateStmt.relation)
          : "";
    ctx.report(
      `Column(s) ${dups.map((d) => `"${d}"`).join(", ")} appear twice${table ? ` for ${show(table)}` : ""}: this fails at deploy (42701 / 42601 multiple assignments). Remove the duplicate.`,
    );
  },
};

export const dynamicSql: LintRule = {
  id: "dynamic-sql",
  severity: "info",
  summary: "A DO block: SQL the linter cannot inspect",
  kinds: ["DoStmt"],
  statement(ctx) {
    ctx.report(
      "The SQL inside this DO block is not checked by the linter (it is a string to the parser). Prefer plain statements; if the block is needed, review its locks and data assumptions by hand, and run `opskit migrate dry-run` against production-shaped data.",
    );
  },
};

/** Findings the linter itself produces (no statement check of their own). */
export const syntaxError: LintRule = {
  id: "syntax-error",
  severity: "error",
  summary: "The file does not parse (the runner would fail on it)",
};

export const invalidDirective: LintRule = {
  id: "invalid-directive",
  severity: "error",
  summary: "An unknown, malformed, repeated or misplaced `-- opskit:` directive",
};

export const ignoreMissingReason: LintRule = {
  id: "ignore-missing-reason",
  severity: "error",
  summary: "`-- opskit-lint-ignore` without a rule or a reason (it does not apply)",
};

export const unusedIgnore: LintRule = {
  id: "unused-ignore",
  severity: "warning",
  summary: "`-- opskit-lint-ignore` that suppresses nothing, or names an unknown rule",
};

export const MISC_RULES = [
  requireConcurrentDetachPartition,
  banVacuumFullAndCluster,
  requireEnumValueOrdering,
  banDuplicateColumn,
  dynamicSql,
  syntaxError,
  invalidDirective,
  ignoreMissingReason,
  unusedIgnore,
];
