import type { Node } from "@pgsql/types";
import { nameListKey, typeKey } from "../ast.js";
import type { LintRule, StatementContext } from "../lint-rule.js";
import { relKey } from "../schema-model.js";
import { statementFacts, type StatementFacts } from "../statement-facts.js";
import { transactionBlockRestriction } from "../../transaction-block-restriction.js";
import { isZeroDuration, setting, show } from "./rule-helpers.js";

export const nonTransactionalInTransaction: LintRule = {
  id: "non-transactional-in-transaction",
  severity: "error",
  summary:
    "A statement that cannot run in a transaction block, beside ordinary statements without `-- opskit:no-transaction` (the runner refuses the file)",
  // A file whose statements are all of this kind runs outside a transaction
  // (the runner decides so, see runsInTransaction): only a mixed file is here.
  statement(ctx) {
    if (!ctx.file.transactional || !ctx.statement.nonTransactional) return;
    const what = transactionBlockRestriction(ctx.statement.ast, ctx.pg.major) ?? ctx.statement.kind;
    ctx.report(
      `${what} cannot run inside a transaction block, and this file also has statements that can: the runner refuses it (MIGRATION_MIXED_TRANSACTION) and the deploy fails with nothing applied. Move it to a migration file of its own (which then runs outside a transaction), or start this file with \`-- opskit:no-transaction\` to run every statement one by one.`,
    );
  },
};

const OPENERS = new Set(["TRANS_STMT_BEGIN", "TRANS_STMT_START"]);
const CLOSERS = new Set(["TRANS_STMT_COMMIT", "TRANS_STMT_ROLLBACK", "TRANS_STMT_PREPARE"]);

export const transactionNesting: LintRule = {
  id: "transaction-nesting",
  severity: "error",
  summary: "BEGIN / COMMIT / ROLLBACK inside a migration the runner wraps in a transaction",
  kinds: ["TransactionStmt"],
  statement(ctx) {
    const ast = ctx.statement.ast;
    if (!ctx.file.transactional || !("TransactionStmt" in ast)) return;
    const kind = ast.TransactionStmt.kind ?? "";
    if (!OPENERS.has(kind) && !CLOSERS.has(kind)) return;
    ctx.report(
      OPENERS.has(kind)
        ? "The runner already runs this file in a transaction (with its history row): this BEGIN only warns, and a COMMIT after it would commit half the migration. Remove BEGIN/COMMIT; if the file must manage its own transactions, start it with `-- opskit:no-transaction`."
        : "The runner runs this file in a transaction with its history row: this ends that transaction early, so the statements after it run outside it and a failure leaves the migration half-applied and unrecorded. Remove it.",
    );
  },
};

export const banUncommittedTransaction: LintRule = {
  id: "ban-uncommitted-transaction",
  severity: "error",
  summary: "BEGIN without a matching COMMIT in a `-- opskit:no-transaction` file",
  kinds: ["TransactionStmt"],
  statement(ctx) {
    const ast = ctx.statement.ast;
    if (ctx.file.transactional || !("TransactionStmt" in ast)) return;
    const open = ctx.state(() => ({ at: -1 }));
    const kind = ast.TransactionStmt.kind ?? "";
    if (OPENERS.has(kind)) open.at = ctx.index;
    if (CLOSERS.has(kind)) open.at = -1;
  },
  endOfFile(ctx) {
    const open = ctx.state(() => ({ at: -1 }));
    if (open.at < 0) return;
    ctx.reportAt(
      open.at,
      "This BEGIN is never committed: the migration reports success, the session ends, and everything after BEGIN is rolled back silently. Add COMMIT at the end.",
    );
  },
};

/** Constants the statement casts to each type (`'c'::mood`). */
function castConstants(facts: StatementFacts): Map<string, Set<string>> {
  const casts = new Map<string, Set<string>>();
  for (const cast of facts.typeCasts) {
    const arg = cast.arg as { A_Const?: { sval?: { sval?: string } } } | undefined;
    const value = arg?.A_Const?.sval?.sval;
    const type = typeKey(cast.typeName as never);
    if (value !== undefined) casts.set(type, (casts.get(type) ?? new Set()).add(value));
  }
  return casts;
}

/** Enum types of the columns of the relations a statement touches, and of the columns it defines. */
function enumTypesInScope(ctx: StatementContext, facts: StatementFacts): Set<string> {
  const types = new Set<string>();
  for (const rv of facts.rangeVars)
    for (const c of ctx.model.relations.get(relKey(rv))?.columns.values() ?? []) types.add(c.type);
  for (const def of facts.columnDefs) types.add(typeKey(def.typeName as never));
  return types;
}

export const enumValueUsedInSameTransaction: LintRule = {
  id: "enum-value-used-in-same-transaction",
  severity: "error",
  summary: "ALTER TYPE … ADD VALUE, then the new value used in the same transaction (55P04)",
  kinds: undefined,
  statement(ctx) {
    if (!ctx.file.transactional) return;
    const added = ctx.state(() => new Map<string, Set<string>>());
    const ast = ctx.statement.ast;
    if ("AlterEnumStmt" in ast) {
      const { newVal, oldVal, typeName } = ast.AlterEnumStmt;
      if (newVal && !oldVal) {
        const key = nameListKey(typeName);
        added.set(key, (added.get(key) ?? new Set()).add(newVal));
      }
      return;
    }
    if (added.size === 0) return;
    const facts = statementFacts(ast);
    let casts: Map<string, Set<string>> | undefined;
    let inScope: Set<string> | undefined;
    for (const [type, values] of added) {
      for (const value of values) {
        if (!facts.strings.has(value)) continue;
        casts ??= castConstants(facts);
        inScope ??= enumTypesInScope(ctx, facts);
        if (!casts.get(type)?.has(value) && !inScope.has(type)) continue;
        ctx.report(
          `'${value}' was added to enum ${show(type)} earlier in this transaction; Postgres refuses to use a new enum value before the ADD VALUE commits (55P04 unsafe use of new value, PG 12+). Put ALTER TYPE … ADD VALUE in its own migration, before the one that uses the value.`,
        );
        return;
      }
    }
  },
};

export const lockTimeoutDisabled: LintRule = {
  id: "lock-timeout-disabled",
  severity: "warning",
  summary: "lock_timeout turned off (the runner sets 5 s by default)",
  kinds: ["VariableSetStmt"],
  statement(ctx) {
    const set = setting(ctx.statement.ast);
    if (set?.name !== "lock_timeout" || !(isZeroDuration(set.value) || set.value === "default"))
      return;
    ctx.report(
      "This turns lock_timeout off: a DDL statement then waits for its lock as long as it takes, and every query on that table queues behind it (an outage that looks like a hang). Keep the runner's default (5 s) or set `-- opskit:lock-timeout 10s`, and retry the deploy if it times out.",
    );
  },
  endOfFile(ctx) {
    const value = ctx.file.parsed?.directives.lockTimeout;
    if (!isZeroDuration(value) || ctx.statements.length === 0) return;
    ctx.reportAt(
      0,
      "`-- opskit:lock-timeout 0` turns lock_timeout off for this file: DDL then waits for its lock indefinitely and every query on the table queues behind it. Give a bound (e.g. 10s) and retry the deploy if it times out.",
    );
  },
};

/** Statements that can run long on a table with rows. */
function slowOnExisting(ctx: StatementContext): boolean {
  const ast = ctx.statement.ast;
  if ("UpdateStmt" in ast) return !ctx.isNew(relKey(ast.UpdateStmt.relation));
  if ("DeleteStmt" in ast) return !ctx.isNew(relKey(ast.DeleteStmt.relation));
  if ("InsertStmt" in ast)
    return ast.InsertStmt.selectStmt !== undefined && !ctx.isNew(relKey(ast.InsertStmt.relation));
  if ("AlterTableStmt" in ast) return !ctx.isNew(relKey(ast.AlterTableStmt.relation));
  if ("IndexStmt" in ast)
    return !ast.IndexStmt.concurrent && !ctx.isNew(relKey(ast.IndexStmt.relation));
  return false;
}

function isDml(ast: Node): boolean {
  return (
    "UpdateStmt" in ast ||
    "DeleteStmt" in ast ||
    ("InsertStmt" in ast && ast.InsertStmt.selectStmt !== undefined)
  );
}

export const requireStatementTimeout: LintRule = {
  id: "require-statement-timeout",
  severity: "info",
  summary: "Long-running statements on existing tables with no statement_timeout",
  statement(ctx) {
    const state = ctx.state(() => ({
      done: ctx.file.parsed?.directives.statementTimeout !== undefined,
    }));
    if (state.done) return;
    const set = setting(ctx.statement.ast);
    if (set?.name === "statement_timeout") {
      state.done = true;
      return;
    }
    if (!slowOnExisting(ctx)) return;
    state.done = true;
    ctx.report(
      "This file works on existing tables with no statement_timeout (the runner sets none by default): a statement that runs far longer than expected holds its locks until someone notices. Add `-- opskit:statement-timeout 5min` (or what fits) to the header.",
    );
  },
};

export const backfillInDdlTransaction: LintRule = {
  id: "backfill-in-ddl-transaction",
  severity: "warning",
  summary:
    "A backfill (UPDATE / DELETE / INSERT … SELECT) in the same transaction as DDL on an existing table",
  statement(ctx) {
    if (!ctx.file.transactional) return;
    const state = ctx.state(() => ({ ddl: false, dml: -1, done: false }));
    if (state.done) return;
    const ast = ctx.statement.ast;
    const existing = slowOnExisting(ctx);
    if (existing && isDml(ast)) state.dml = state.dml < 0 ? ctx.index : state.dml;
    else if (existing) state.ddl = true;
    if (!state.ddl || state.dml < 0) return;
    state.done = true;
    ctx.reportAt(
      state.dml,
      "This backfill runs in the same transaction as DDL on an existing table, so the DDL's ACCESS EXCLUSIVE lock is held until the backfill ends: the table is unavailable for its whole duration. Ship the DDL in one migration and backfill in batches from a job (or a later migration).",
    );
  },
};

export const TRANSACTION_RULES = [
  nonTransactionalInTransaction,
  transactionNesting,
  banUncommittedTransaction,
  enumValueUsedInSameTransaction,
  lockTimeoutDisabled,
  requireStatementTimeout,
  backfillInDdlTransaction,
];
