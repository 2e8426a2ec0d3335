import type { IndexStmt } from "@pgsql/types";
import { objectKey } from "../ast.js";
import type { LintRule, StatementContext } from "../lint-rule.js";
import { droppedKeys, relKey, truncateIdentifier } from "../schema-model.js";
import { option } from "../../transaction-block-restriction.js";
import { show } from "./rule-helpers.js";

function indexStmt(ctx: StatementContext): IndexStmt | undefined {
  const ast = ctx.statement.ast;
  return "IndexStmt" in ast ? ast.IndexStmt : undefined;
}

export const requireConcurrentIndexCreation: LintRule = {
  id: "require-concurrent-index-creation",
  severity: "error",
  summary: "CREATE INDEX without CONCURRENTLY on a table that already exists",
  kinds: ["IndexStmt"],
  statement(ctx) {
    const s = indexStmt(ctx);
    const table = relKey(s?.relation);
    if (!s || s.concurrent || ctx.isNew(table)) return;
    const partitioned = ctx.model.relations.get(table)?.kind === "partitioned";
    ctx.report(
      `CREATE INDEX on existing table ${show(table)} takes a SHARE lock that blocks every write for the whole build. ` +
        (partitioned
          ? "It is partitioned (no CONCURRENTLY there): CREATE INDEX ON ONLY the parent, CREATE INDEX CONCURRENTLY on each partition, then ALTER INDEX … ATTACH PARTITION."
          : "Write CREATE INDEX CONCURRENTLY, alone in a file that starts with `-- opskit:no-transaction`."),
    );
  },
};

export const requireConcurrentIndexDeletion: LintRule = {
  id: "require-concurrent-index-deletion",
  severity: "warning",
  summary: "DROP INDEX without CONCURRENTLY on an index that already exists",
  kinds: ["DropStmt"],
  statement(ctx) {
    const ast = ctx.statement.ast;
    if (!("DropStmt" in ast) || ast.DropStmt.removeType !== "OBJECT_INDEX") return;
    if (ast.DropStmt.concurrent) return;
    for (const key of droppedKeys(ast)) {
      const index = ctx.model.indexes.get(key);
      if (index && ctx.isNewFile(index.file)) continue;
      ctx.report(
        `DROP INDEX ${show(key)} takes an ACCESS EXCLUSIVE lock on its table: reads and writes queue behind it. Write DROP INDEX CONCURRENTLY in a file with \`-- opskit:no-transaction\`.`,
      );
    }
  },
};

export const requireConcurrentReindex: LintRule = {
  id: "require-concurrent-reindex",
  severity: "warning",
  summary: "REINDEX without CONCURRENTLY",
  kinds: ["ReindexStmt"],
  statement(ctx) {
    const ast = ctx.statement.ast;
    if (!("ReindexStmt" in ast)) return;
    const concurrently = option(ast.ReindexStmt.params, "concurrently");
    if (concurrently !== undefined && concurrently !== false) return;
    ctx.report(
      "REINDEX takes an ACCESS EXCLUSIVE lock on the index (and blocks writes to its table) for the whole rebuild. Write REINDEX (CONCURRENTLY) …, in a file with `-- opskit:no-transaction` (PG 12+).",
    );
  },
};

export const uniqueIndexOnExistingData: LintRule = {
  id: "unique-index-on-existing-data",
  severity: "warning",
  summary: "A unique index on a table that already has rows: fails with 23505 on duplicates",
  kinds: ["IndexStmt"],
  statement(ctx) {
    const s = indexStmt(ctx);
    const table = relKey(s?.relation);
    if (!s?.unique || ctx.isNew(table)) return;
    ctx.report(
      `A unique index on existing table ${show(table)} fails at deploy with 23505 if production has duplicates (an empty CI database never does). Check first: select <columns>, count(*) from ${table} group by <columns> having count(*) > 1; and dedupe in an earlier migration.`,
    );
  },
};

export const concurrentIndexIfNotExists: LintRule = {
  id: "concurrent-index-if-not-exists",
  severity: "warning",
  summary: "CREATE INDEX CONCURRENTLY IF NOT EXISTS keeps an INVALID index left by a failed run",
  kinds: ["IndexStmt"],
  statement(ctx) {
    const s = indexStmt(ctx);
    if (!s?.concurrent || !s.if_not_exists) return;
    ctx.report(
      `A failed CREATE INDEX CONCURRENTLY leaves an INVALID index behind; on the retry IF NOT EXISTS sees it, skips with a NOTICE and the index stays invalid (never used, still written to). Write DROP INDEX CONCURRENTLY IF EXISTS ${s.idxname ?? "<name>"}; then CREATE INDEX CONCURRENTLY without IF NOT EXISTS.`,
    );
  },
};

export const concurrentIndexPg14Corruption: LintRule = {
  id: "concurrent-index-pg14-corruption",
  severity: "warning",
  summary: "CREATE INDEX / REINDEX CONCURRENTLY on PostgreSQL 14.0–14.3 (index corruption bug)",
  kinds: ["IndexStmt", "ReindexStmt"],
  statement(ctx) {
    const ast = ctx.statement.ast;
    const concurrent =
      "IndexStmt" in ast
        ? ast.IndexStmt.concurrent
        : "ReindexStmt" in ast && option(ast.ReindexStmt.params, "concurrently") === true;
    if (!concurrent || ctx.pg.major !== 14 || (ctx.pg.minor !== undefined && ctx.pg.minor >= 4))
      return;
    ctx.report(
      `PostgreSQL 14.0 to 14.3 can silently corrupt indexes built CONCURRENTLY (fixed in 14.4). ${ctx.pg.minor === undefined ? "Give the minor version (--pg-version 14.x) or make sure" : "Upgrade to 14.4+ first and make sure"} the server is 14.4 or later.`,
    );
  },
};

export const indexTooManyColumns: LintRule = {
  id: "index-too-many-columns",
  severity: "info",
  summary: "A non-unique index with more than 3 columns",
  kinds: ["IndexStmt"],
  statement(ctx) {
    const s = indexStmt(ctx);
    const count = s?.indexParams?.length ?? 0;
    if (!s || s.unique || count <= 3) return;
    ctx.report(
      `This index has ${count} columns; beyond 3 a non-unique btree is rarely used for its later columns but costs on every write. Index the leading, selective columns (add INCLUDE for index-only scans).`,
    );
  },
};

/**
 * In a file the runner does not wrap in a transaction, a failure leaves the
 * statements before it applied, so each must be safe to run again.
 */
export const preferRobustStatements: LintRule = {
  id: "prefer-robust-stmts",
  severity: "warning",
  summary: "A statement that cannot be re-run, in a `-- opskit:no-transaction` file",
  statement(ctx) {
    if (ctx.file.transactional) return;
    const ast = ctx.statement.ast;
    const retry =
      "A failure part-way leaves the statements before it applied (this file runs outside a transaction), so a re-run must not trip on them.";
    if ("IndexStmt" in ast) {
      const s = ast.IndexStmt;
      if (!s.idxname) {
        ctx.report(
          `${retry} Name the index, and precede it with DROP INDEX CONCURRENTLY IF EXISTS <name>.`,
        );
        return;
      }
      const key = objectKey(s.relation?.schemaname, truncateIdentifier(s.idxname));
      const dropped = ctx.statements
        .slice(0, ctx.index)
        .some(
          (p) =>
            "DropStmt" in p.ast &&
            p.ast.DropStmt.removeType === "OBJECT_INDEX" &&
            p.ast.DropStmt.missing_ok === true &&
            droppedKeys(p.ast).includes(key),
        );
      if (!dropped && !s.if_not_exists)
        ctx.report(`${retry} Precede it with DROP INDEX CONCURRENTLY IF EXISTS ${s.idxname};`);
    } else if ("DropStmt" in ast && !ast.DropStmt.missing_ok) {
      ctx.report(`${retry} Write DROP … IF EXISTS.`);
    } else if ("CreateStmt" in ast && !ast.CreateStmt.if_not_exists) {
      ctx.report(`${retry} Write CREATE TABLE IF NOT EXISTS.`);
    } else if ("AlterTableStmt" in ast) {
      for (const n of ast.AlterTableStmt.cmds ?? []) {
        if (!("AlterTableCmd" in n)) continue;
        const { subtype, missing_ok } = n.AlterTableCmd;
        if ((subtype === "AT_AddColumn" || subtype === "AT_DropColumn") && !missing_ok) {
          ctx.report(
            `${retry} Write ${subtype === "AT_AddColumn" ? "ADD COLUMN IF NOT EXISTS" : "DROP COLUMN IF EXISTS"}.`,
          );
          return;
        }
      }
    }
  },
};

export const INDEX_RULES = [
  requireConcurrentIndexCreation,
  requireConcurrentIndexDeletion,
  requireConcurrentReindex,
  uniqueIndexOnExistingData,
  concurrentIndexIfNotExists,
  concurrentIndexPg14Corruption,
  indexTooManyColumns,
  preferRobustStatements,
];
