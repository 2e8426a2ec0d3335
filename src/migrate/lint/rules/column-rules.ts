import { typeKey, typeMods } from "../ast.js";
import type { LintRule } from "../lint-rule.js";
import type { Column } from "../schema-model.js";
import {
  addedColumnsOnExisting,
  alterCommands,
  columnConstraints,
  columnDefOf,
  show,
  volatileCall,
} from "./rule-helpers.js";

const SERIAL = new Set(["serial", "serial4", "bigserial", "serial8", "smallserial", "serial2"]);

/**
 * Type changes Postgres does without rewriting the table or its indexes
 * (binary-coercible, and no narrower limit to check).
 */
function isSafeTypeChange(from: Column | undefined, to: string, toMods: number[]): boolean {
  if (!from) return false;
  const widerOrNone = (i: number) =>
    toMods.length === 0 || (from.mods[i] !== undefined && toMods[i]! >= from.mods[i]);
  if (from.type === "varchar" && (to === "text" || (to === "varchar" && widerOrNone(0))))
    return true;
  if (from.type === "text" && to === "varchar" && toMods.length === 0) return true;
  if (from.type === "numeric" && to === "numeric") {
    if (toMods.length === 0) return true;
    return widerOrNone(0) && (from.mods[1] ?? 0) === (toMods[1] ?? 0);
  }
  if (from.type === "varbit" && to === "varbit" && widerOrNone(0)) return true;
  return from.type === "cidr" && to === "inet";
}

export const changingColumnType: LintRule = {
  id: "changing-column-type",
  severity: "error",
  summary: "ALTER COLUMN … TYPE that rewrites an existing table",
  kinds: ["AlterTableStmt"],
  statement(ctx) {
    for (const { cmd, table } of alterCommands(ctx)) {
      const def = columnDefOf(cmd);
      if (cmd.subtype !== "AT_AlterColumnType" || !def || ctx.isNew(table)) continue;
      const column = ctx.model.relations.get(table)?.columns.get(cmd.name ?? "");
      if (column && ctx.isNewFile(column.file)) continue;
      const to = typeKey(def.typeName);
      if (isSafeTypeChange(column, to, typeMods(def.typeName))) continue;
      ctx.report(
        `Changing the type of ${show(table)}.${cmd.name ?? ""}${column ? ` from ${column.type}` : ""} to ${to} rewrites the table and its indexes under an ACCESS EXCLUSIVE lock${def.raw_default ? ", and a USING cast fails at deploy (e.g. 22P02) on any row it cannot convert" : ""}. Add a new column, backfill it in batches, switch the code, then drop the old one.`,
        def.location,
      );
    }
  },
};

export const typeChangeOnCheckedColumn: LintRule = {
  id: "type-change-on-checked-column",
  severity: "warning",
  summary: "Changing the type of a column that CHECK constraints use",
  kinds: ["AlterTableStmt"],
  statement(ctx) {
    for (const { cmd, table } of alterCommands(ctx)) {
      if (cmd.subtype !== "AT_AlterColumnType" || ctx.isNew(table)) continue;
      const checks = [...ctx.model.constraints.values()].filter(
        (c) => c.table === table && c.type === "CONSTR_CHECK" && c.columns.includes(cmd.name ?? ""),
      );
      if (checks.length === 0) continue;
      ctx.report(
        `${show(table)}.${cmd.name ?? ""} is used by CHECK constraint(s) ${checks.map((c) => `"${c.name}"`).join(", ")}: they are re-checked against every row under the ALTER's lock, and the change fails if the converted values violate them. Drop them first and re-add them NOT VALID + VALIDATE after.`,
      );
    }
  },
};

export const alterColumnUsedByView: LintRule = {
  id: "alter-column-used-by-view",
  severity: "error",
  summary: "Changing the type of, or dropping, a column a view reads (0A000 / 2BP01)",
  kinds: ["AlterTableStmt"],
  statement(ctx) {
    for (const { cmd, table } of alterCommands(ctx)) {
      if (cmd.subtype !== "AT_AlterColumnType" && cmd.subtype !== "AT_DropColumn") continue;
      const views = [...ctx.model.relations.values()].filter(
        (r) =>
          r.reads?.relations.has(table) &&
          (r.reads.columns.has(cmd.name ?? "") || r.reads.columns.has("*")),
      );
      if (views.length === 0) continue;
      const list = views.map((v) => `${v.kind} "${v.key}" (${ctx.fileName(v.file)})`).join(", ");
      ctx.report(
        cmd.subtype === "AT_AlterColumnType"
          ? `${show(table)}.${cmd.name ?? ""} is read by ${list}: the type change fails at deploy with 0A000 (cannot alter type of a column used by a view or rule). Drop the view(s) before and recreate them after, in this migration.`
          : cmd.behavior === "DROP_CASCADE"
            ? `Dropping ${show(table)}.${cmd.name ?? ""} with CASCADE silently drops ${list}. Drop or redefine the view(s) explicitly first.`
            : `${show(table)}.${cmd.name ?? ""} is read by ${list}: the drop fails at deploy with 2BP01. Redefine or drop the view(s) first, in this migration.`,
      );
    }
  },
};

export const addingFieldWithDefault: LintRule = {
  id: "adding-field-with-default",
  severity: "error",
  summary: "ADD COLUMN with a volatile default (any default before PG 11) on an existing table",
  kinds: ["AlterTableStmt"],
  statement(ctx) {
    for (const { def, table } of addedColumnsOnExisting(ctx)) {
      const dflt = columnConstraints(def).find((c) => c.contype === "CONSTR_DEFAULT");
      if (!dflt) continue;
      const volatile = volatileCall(dflt.raw_expr, ctx.model);
      if (ctx.pg.major >= 11 && !volatile) continue;
      ctx.report(
        `ADD COLUMN ${def.colname ?? ""} ${volatile ? `with the volatile default ${volatile}()` : `with a default on PostgreSQL ${ctx.pg.major}`} rewrites all of ${show(table)} under an ACCESS EXCLUSIVE lock. Add the column without the default (or with a constant one, PG 11+), set the default after, and backfill existing rows in batches.`,
        dflt.location,
      );
    }
  },
};

export const addingSerialOrIdentityColumn: LintRule = {
  id: "adding-serial-or-identity-column",
  severity: "error",
  summary: "ADD COLUMN serial / GENERATED … AS IDENTITY on an existing table",
  kinds: ["AlterTableStmt"],
  statement(ctx) {
    for (const { def, table } of addedColumnsOnExisting(ctx)) {
      const identity = columnConstraints(def).some((c) => c.contype === "CONSTR_IDENTITY");
      if (!identity && !SERIAL.has(typeKey(def.typeName))) continue;
      ctx.report(
        `Adding ${identity ? "an identity" : "a serial"} column to existing table ${show(table)} fills a value into every row: a full rewrite under an ACCESS EXCLUSIVE lock. Add a nullable column, attach a sequence default, backfill in batches, then add NOT NULL the safe way.`,
        def.location,
      );
    }
  },
};

export const addingStoredGeneratedColumn: LintRule = {
  id: "adding-stored-generated-column",
  severity: "error",
  summary: "ADD COLUMN … GENERATED ALWAYS AS (…) STORED on an existing table",
  kinds: ["AlterTableStmt"],
  statement(ctx) {
    for (const { def, table } of addedColumnsOnExisting(ctx)) {
      if (!columnConstraints(def).some((c) => c.contype === "CONSTR_GENERATED")) continue;
      ctx.report(
        `A stored generated column is computed for every existing row of ${show(table)}: a full rewrite under an ACCESS EXCLUSIVE lock. Add a plain column filled by a trigger and a batched backfill, or compute the value in a view or the query.`,
        def.location,
      );
    }
  },
};

export const addingRequiredField: LintRule = {
  id: "adding-required-field",
  severity: "error",
  summary: "ADD COLUMN … NOT NULL without a default on an existing table (23502)",
  kinds: ["AlterTableStmt"],
  statement(ctx) {
    for (const { def, table } of addedColumnsOnExisting(ctx)) {
      const cons = columnConstraints(def);
      const notNull = cons.some(
        (c) => c.contype === "CONSTR_NOTNULL" || c.contype === "CONSTR_PRIMARY",
      );
      const filled = cons.some((c) =>
        ["CONSTR_DEFAULT", "CONSTR_IDENTITY", "CONSTR_GENERATED"].includes(c.contype ?? ""),
      );
      if (!notNull || filled || SERIAL.has(typeKey(def.typeName))) continue;
      ctx.report(
        `ADD COLUMN ${def.colname ?? ""} NOT NULL without a default fails at deploy with 23502 on any non-empty ${show(table)} (an empty CI database passes), and the old code's INSERTs fail after it. Add it nullable (or with a constant default), backfill, then make it NOT NULL the safe way.`,
        def.location,
      );
    }
  },
};

export const banDropColumn: LintRule = {
  id: "ban-drop-column",
  severity: "error",
  summary: "DROP COLUMN on an existing table",
  kinds: ["AlterTableStmt"],
  statement(ctx) {
    for (const { cmd, table } of alterCommands(ctx)) {
      if (cmd.subtype !== "AT_DropColumn" || ctx.isNew(table)) continue;
      const column = ctx.model.relations.get(table)?.columns.get(cmd.name ?? "");
      if (column && ctx.isNewFile(column.file)) continue;
      ctx.report(
        `Dropping ${show(table)}.${cmd.name ?? ""} loses its data and breaks the running version of the code (and ORMs that cache columns) during the rollout. Stop using it in a release first; then drop it, with \`-- opskit-lint-ignore ban-drop-column: <why it is unused>\`.`,
      );
    }
  },
};

export const banDropNotNull: LintRule = {
  id: "ban-drop-not-null",
  severity: "warning",
  summary: "DROP NOT NULL on an existing column",
  kinds: ["AlterTableStmt"],
  statement(ctx) {
    for (const { cmd, table } of alterCommands(ctx)) {
      if (cmd.subtype !== "AT_DropNotNull" || ctx.isNew(table)) continue;
      ctx.report(
        `After DROP NOT NULL, ${show(table)}.${cmd.name ?? ""} can hold NULLs that the running code (and PL/pgSQL, and reports) do not expect. Ship code that handles NULL first.`,
      );
    }
  },
};

export const COLUMN_RULES = [
  changingColumnType,
  typeChangeOnCheckedColumn,
  alterColumnUsedByView,
  addingFieldWithDefault,
  addingSerialOrIdentityColumn,
  addingStoredGeneratedColumn,
  addingRequiredField,
  banDropColumn,
  banDropNotNull,
];
