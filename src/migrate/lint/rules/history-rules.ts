import type { Node } from "@pgsql/types";
import { functionKey } from "../ast.js";
import type { LintFile, LintRule } from "../lint-rule.js";
import { relKey } from "../schema-model.js";
import { duplicateVersions } from "../../migration-versions.js";

/**
 * The runner's own refusal (migration-versions.ts, shared with it): two
 * files of one directory with one version, one of them not applied.
 * Reported on the statement -1 of each unapplied file, where no ignore
 * comment applies: lint never passes what the runner refuses.
 */
export const duplicateVersion: LintRule = {
  id: "duplicate-version",
  severity: "error",
  summary:
    "Two files of one directory share a version (`20240312_a.sql`, `20240312_b.sql`): the runner refuses them; same-day versions take a letter (`20240312a_…`, `20240312b_…`)",
  history(ctx) {
    const byDir = new Map<string, LintFile[]>();
    for (const f of ctx.files) byDir.set(f.dir, [...(byDir.get(f.dir) ?? []), f]);
    for (const files of byDir.values()) {
      const byName = new Map(files.map((f) => [f.name, f]));
      for (const clash of duplicateVersions(files.map((f) => f.name))) {
        const clashing = clash.names.map((n) => byName.get(n)!);
        if (clashing.every((f) => f.applied)) continue;
        for (const f of clashing) {
          if (f.applied) continue;
          const others = clash.names.filter((n) => n !== f.name).join(", ");
          ctx.report(
            f.index,
            -1,
            `${f.name} shares the version ${clash.version} with ${others}: their order would hang on the rest of the names, and \`opskit migrate up\` refuses them (MIGRATION_DUPLICATE_VERSION). Give it a version of its own after the newest file; same-day files take a letter (${clash.version.replace(/[a-z]$/, "")}a_…, ${clash.version.replace(/[a-z]$/, "")}b_…).`,
          );
        }
      }
    }
  },
};

interface DefElemLike {
  defname?: string;
  arg?: Node;
}

function defElems(list: Node[] | undefined): DefElemLike[] {
  return (list ?? []).flatMap((n) => ("DefElem" in n ? [n.DefElem as DefElemLike] : []));
}

function isSecurityDefiner(options: DefElemLike[]): boolean | undefined {
  const security = options.find((o) => o.defname === "security");
  if (!security?.arg || !("Boolean" in security.arg)) return undefined;
  return security.arg.Boolean.boolval === true;
}

function setsSearchPath(options: DefElemLike[]): boolean {
  return options.some(
    (o) =>
      o.defname === "set" &&
      o.arg !== undefined &&
      "VariableSetStmt" in o.arg &&
      o.arg.VariableSetStmt.name === "search_path" &&
      o.arg.VariableSetStmt.kind !== "VAR_RESET" &&
      o.arg.VariableSetStmt.kind !== "VAR_RESET_ALL",
  );
}

/**
 * A SECURITY DEFINER function runs with its owner's rights; without a fixed
 * `search_path` a caller who can create objects in a schema on the path
 * (`public`, or `pg_temp`) shadows a table or operator it uses and runs code
 * as the owner. Cleared by `SET search_path = …` in the definition, or a
 * later `ALTER FUNCTION … SET search_path` in the history.
 */
export const securityDefinerSearchPath: LintRule = {
  id: "security-definer-search-path",
  severity: "error",
  summary:
    "A SECURITY DEFINER function without `SET search_path = …` in its definition (a caller can shadow what it uses and run code as its owner)",
  history(ctx) {
    const open = new Map<string, { file: number; statement: number; name: string }>();
    for (const file of ctx.files) {
      for (const [index, s] of (file.parsed?.statements ?? []).entries()) {
        const ast = s.ast;
        if ("CreateFunctionStmt" in ast) {
          const options = defElems(ast.CreateFunctionStmt.options);
          const key = functionKey(ast.CreateFunctionStmt.funcname);
          if (isSecurityDefiner(options) && !setsSearchPath(options))
            open.set(key, { file: file.index, statement: index, name: key });
          else open.delete(key);
        } else if ("AlterFunctionStmt" in ast) {
          const actions = defElems(ast.AlterFunctionStmt.actions);
          const key = functionKey(ast.AlterFunctionStmt.func?.objname);
          if (setsSearchPath(actions)) open.delete(key);
          else if (isSecurityDefiner(actions))
            open.set(key, { file: file.index, statement: index, name: key });
        }
      }
    }
    for (const o of open.values()) {
      ctx.report(
        o.file,
        o.statement,
        `${o.name}() is SECURITY DEFINER without a fixed search_path: a caller who can create objects in a schema on its path shadows what it uses and runs code as its owner. Add \`SET search_path = ''\` (and qualify names: public.orders) or \`SET search_path = public, pg_temp\` to its definition.`,
      );
    }
  },
};

/**
 * In a schema where the history enables row level security on tables (a
 * Supabase `public` schema served by PostgREST), a table that never gets
 * it is readable and writable by every role the schema is granted to.
 */
export const tableWithoutRowLevelSecurity: LintRule = {
  id: "table-without-row-level-security",
  severity: "warning",
  summary:
    "A CREATE TABLE in a schema where the history enables row level security on other tables, on a table that never gets `ENABLE ROW LEVEL SECURITY`",
  history(ctx) {
    const created = new Map<string, { file: number; statement: number }>();
    const secured = new Set<string>();
    for (const file of ctx.files) {
      for (const [index, s] of (file.parsed?.statements ?? []).entries()) {
        const ast = s.ast;
        if ("CreateStmt" in ast) {
          const key = relKey(ast.CreateStmt.relation);
          if (ast.CreateStmt.relation?.relpersistence === "t") continue;
          if (!created.has(key)) created.set(key, { file: file.index, statement: index });
        } else if ("AlterTableStmt" in ast) {
          const key = relKey(ast.AlterTableStmt.relation);
          for (const c of ast.AlterTableStmt.cmds ?? []) {
            if ("AlterTableCmd" in c && c.AlterTableCmd.subtype === "AT_EnableRowSecurity")
              secured.add(key);
          }
        } else if ("DropStmt" in ast && ast.DropStmt.removeType === "OBJECT_TABLE") {
          for (const o of ast.DropStmt.objects ?? []) {
            if (!("List" in o)) continue;
            const parts = (o.List.items ?? []).map((n) => ("String" in n ? n.String.sval : ""));
            const key = relKey({
              relname: parts.at(-1) ?? "",
              ...(parts.length > 1 ? { schemaname: parts.at(-2) ?? "" } : {}),
            });
            created.delete(key);
            secured.delete(key);
          }
        }
      }
    }
    const schemaOf = (key: string) =>
      key.includes(".") ? key.slice(0, key.lastIndexOf(".")) : "public";
    const securedSchemas = new Set([...secured].filter((k) => created.has(k)).map(schemaOf));
    for (const [key, at] of created) {
      const schema = schemaOf(key);
      if (!securedSchemas.has(schema) || secured.has(key)) continue;
      ctx.report(
        at.file,
        at.statement,
        `Other tables of schema ${schema} get ENABLE ROW LEVEL SECURITY in the history, "${key}" never does: every role granted the schema (Supabase's anon and authenticated, through PostgREST) reads and writes all of its rows. Add \`alter table ${key} enable row level security;\` and its policies (or move it to a schema that is not exposed).`,
      );
    }
  },
};

export const HISTORY_RULES = [
  duplicateVersion,
  securityDefinerSearchPath,
  tableWithoutRowLevelSecurity,
];
