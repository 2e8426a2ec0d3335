import type { Constraint } from "@pgsql/types";
import type { LintRule } from "../lint-rule.js";
import { relKey } from "../schema-model.js";
import {
  alterCommands,
  columnConstraints,
  columnDefOf,
  constraintOf,
  show,
} from "./rule-helpers.js";

/** Constraints an ALTER TABLE adds to an existing table (ADD CONSTRAINT, or inline in ADD COLUMN). */
function addedConstraints(
  ctx: Parameters<NonNullable<LintRule["statement"]>>[0],
): { c: Constraint; table: string }[] {
  return alterCommands(ctx).flatMap(({ cmd, table }) => {
    if (ctx.isNew(table)) return [];
    if (cmd.subtype === "AT_AddConstraint") {
      const c = constraintOf(cmd);
      return c ? [{ c, table }] : [];
    }
    if (cmd.subtype === "AT_AddColumn")
      return columnConstraints(columnDefOf(cmd)).map((c) => ({ c, table }));
    return [];
  });
}

export const foreignKeyNotValid: LintRule = {
  id: "foreign-key-not-valid",
  severity: "error",
  summary: "A foreign key added to an existing table without NOT VALID",
  kinds: ["AlterTableStmt"],
  statement(ctx) {
    for (const { c, table } of addedConstraints(ctx)) {
      if (c.contype !== "CONSTR_FOREIGN" || c.skip_validation) continue;
      ctx.report(
        `Adding a foreign key to existing table ${show(table)} takes SHARE ROW EXCLUSIVE locks on it and on ${show(relKey(c.pktable))} while every row is checked, and fails with 23503 on orphan rows. Add it with NOT VALID here, and VALIDATE CONSTRAINT in a later migration (after checking for orphans).`,
        c.location,
      );
    }
  },
};

export const checkConstraintNotValid: LintRule = {
  id: "check-constraint-not-valid",
  severity: "error",
  summary: "A CHECK constraint added to an existing table without NOT VALID",
  kinds: ["AlterTableStmt"],
  statement(ctx) {
    for (const { c, table } of addedConstraints(ctx)) {
      if (c.contype !== "CONSTR_CHECK" || c.skip_validation) continue;
      ctx.report(
        `Adding a CHECK constraint to existing table ${show(table)} scans every row under an ACCESS EXCLUSIVE lock (no reads, no writes), and fails with 23514 if a row violates it. Add it with NOT VALID here, and VALIDATE CONSTRAINT in a later migration.`,
        c.location,
      );
    }
  },
};

export const validateInSameTransaction: LintRule = {
  id: "validate-constraint-same-transaction",
  severity: "error",
  summary: "VALIDATE CONSTRAINT in the same transaction that added the constraint NOT VALID",
  kinds: ["AlterTableStmt"],
  statement(ctx) {
    if (!ctx.file.transactional) return;
    const addedHere = new Set<string>();
    for (const { cmd, table } of alterCommands(ctx)) {
      const c = constraintOf(cmd);
      if (cmd.subtype === "AT_AddConstraint" && c?.skip_validation && c.conname)
        addedHere.add(c.conname);
      if (cmd.subtype !== "AT_ValidateConstraint") continue;
      const known = ctx.model.constraints.get(`${table}\0${cmd.name ?? ""}`);
      if (!addedHere.has(cmd.name ?? "") && known?.file !== ctx.file.index) continue;
      ctx.report(
        `Constraint "${cmd.name ?? ""}" is added NOT VALID and validated in the same transaction: the ADD's strong lock is still held while VALIDATE scans the table, so NOT VALID gains nothing. Move VALIDATE CONSTRAINT to a later migration.`,
      );
    }
  },
};

function addConstraintRule(
  id: string,
  contype: string,
  what: string,
  advice: string,
  summary: string,
): LintRule {
  return {
    id,
    severity: "error",
    summary,
    kinds: ["AlterTableStmt"],
    statement(ctx) {
      for (const { c, table } of addedConstraints(ctx)) {
        if (c.contype !== contype || c.indexname) continue;
        ctx.report(`${what} on existing table ${show(table)} ${advice}`, c.location);
      }
    },
  };
}

export const banAddUniqueConstraint = addConstraintRule(
  "ban-add-unique-constraint",
  "CONSTR_UNIQUE",
  "ADD UNIQUE",
  "builds its index under an ACCESS EXCLUSIVE lock, and fails with 23505 on existing duplicates. Check for duplicates, CREATE UNIQUE INDEX CONCURRENTLY in a `-- opskit:no-transaction` file, then ADD CONSTRAINT … UNIQUE USING INDEX in a later one.",
  "ADD UNIQUE on an existing table (not USING INDEX)",
);

export const banAddPrimaryKey = addConstraintRule(
  "ban-add-primary-key",
  "CONSTR_PRIMARY",
  "ADD PRIMARY KEY",
  "builds its index under an ACCESS EXCLUSIVE lock and scans for NULLs. CREATE UNIQUE INDEX CONCURRENTLY first (no-transaction file), make the columns NOT NULL the safe way, then ADD PRIMARY KEY USING INDEX.",
  "ADD PRIMARY KEY on an existing table (not USING INDEX)",
);

export const banAddExclusionConstraint = addConstraintRule(
  "ban-add-exclusion-constraint",
  "CONSTR_EXCLUSION",
  "ADD EXCLUDE",
  "checks every row while blocking reads and writes, and cannot be added NOT VALID. Add it while the table is new, or in a maintenance window.",
  "ADD EXCLUDE on an existing table",
);

export const setNotNull: LintRule = {
  id: "set-not-null",
  severity: "error",
  summary: "SET NOT NULL on an existing column without a validated IS NOT NULL check",
  kinds: ["AlterTableStmt"],
  statement(ctx) {
    for (const { cmd, table } of alterCommands(ctx)) {
      if (cmd.subtype !== "AT_SetNotNull" || ctx.isNew(table)) continue;
      const column = ctx.model.relations.get(table)?.columns.get(cmd.name ?? "");
      if (column && ctx.isNewFile(column.file)) continue;
      const proven = [...ctx.model.constraints.values()].some(
        (c) =>
          c.table === table &&
          c.notNullOf === cmd.name &&
          !c.notValid &&
          c.file !== ctx.file.index &&
          c.validatedIn !== ctx.file.index,
      );
      if (proven && ctx.pg.major >= 12) continue;
      ctx.report(
        `SET NOT NULL on ${show(table)}.${cmd.name ?? ""} scans the whole table under an ACCESS EXCLUSIVE lock, and fails with 23502 if any row is NULL. Instead: ADD CONSTRAINT … CHECK (${cmd.name ?? "col"} IS NOT NULL) NOT VALID; VALIDATE CONSTRAINT in a later migration; then SET NOT NULL (PG 12+ skips the scan) and drop the check.`,
      );
    }
  },
};

export const banCreateDomainWithConstraint: LintRule = {
  id: "ban-create-domain-with-constraint",
  severity: "info",
  summary: "CREATE DOMAIN with a CHECK constraint",
  kinds: ["CreateDomainStmt"],
  statement(ctx) {
    const ast = ctx.statement.ast;
    if (!("CreateDomainStmt" in ast)) return;
    if (
      !(ast.CreateDomainStmt.constraints ?? []).some(
        (n) => "Constraint" in n && n.Constraint.contype === "CONSTR_CHECK",
      )
    )
      return;
    ctx.report(
      "A domain's CHECK is re-checked against every column of the domain whenever it changes, under locks on all those tables. Prefer a plain type with CHECK constraints on the table (NOT VALID + VALIDATE when they change).",
    );
  },
};

export const banAlterDomainAddConstraint: LintRule = {
  id: "ban-alter-domain-add-constraint",
  severity: "warning",
  summary: "ALTER DOMAIN … ADD CONSTRAINT without NOT VALID",
  kinds: ["AlterDomainStmt"],
  statement(ctx) {
    const ast = ctx.statement.ast;
    if (!("AlterDomainStmt" in ast) || ast.AlterDomainStmt.subtype !== "C") return;
    const def = ast.AlterDomainStmt.def;
    if (def && "Constraint" in def && def.Constraint.skip_validation) return;
    ctx.report(
      "ALTER DOMAIN … ADD CONSTRAINT checks every column of that domain in every table, under locks. Add it NOT VALID and run ALTER DOMAIN … VALIDATE CONSTRAINT in a later migration.",
    );
  },
};

export const banDropForeignKey: LintRule = {
  id: "ban-drop-foreign-key",
  severity: "warning",
  summary: "Dropping a foreign key constraint",
  kinds: ["AlterTableStmt"],
  statement(ctx) {
    for (const { cmd, table } of alterCommands(ctx)) {
      if (cmd.subtype !== "AT_DropConstraint") continue;
      const known = ctx.model.constraints.get(`${table}\0${cmd.name ?? ""}`);
      const foreign = known ? known.type === "CONSTR_FOREIGN" : /_fkey$/.test(cmd.name ?? "");
      if (!foreign || (known && ctx.isNewFile(known.file))) continue;
      ctx.report(
        `Dropping foreign key "${cmd.name ?? ""}" on ${show(table)} silently stops integrity checks: orphan rows can appear from now on. If it is being replaced, add the new one (NOT VALID, then VALIDATE) before dropping this one.`,
      );
    }
  },
};

export const CONSTRAINT_RULES = [
  foreignKeyNotValid,
  checkConstraintNotValid,
  validateInSameTransaction,
  banAddUniqueConstraint,
  banAddPrimaryKey,
  banAddExclusionConstraint,
  setNotNull,
  banCreateDomainWithConstraint,
  banAlterDomainAddConstraint,
  banDropForeignKey,
];
