import { runsInTransaction } from "../migration-mode.js";
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { isOpskitError } from "../../errors.js";
import { normaliseSql, readMigrationTexts, type MigrationText } from "../migration-texts.js";
import { loadSqlParser, parseMigrationSync } from "../parse-migration.js";
import { toolkitMigrationsDir } from "../toolkit-migrations.js";
import { readIgnoreComments, type IgnoreComment } from "./ignore-comments.js";
import type {
  Creation,
  FileContext,
  HistoryContext,
  LintFile,
  LintFinding,
  LintRule,
  PgVersion,
  StatementContext,
} from "./lint-rule.js";
import { createdObjects } from "./object-uses.js";
import { LINT_RULES, ruleById } from "./rules/all-rules.js";
import { createSchemaModel } from "./schema-model.js";

export interface LintOptions {
  /** Migration directories (or single `.sql` files), in runner order. */
  dirs: string[];
  /** Target server version, `15` or `14.2`; default 15. */
  pgVersion?: number | string;
  /**
   * Applied migrations (from `opskit.schema_migrations`). With it, objects
   * created by unapplied files count as new; without it, only objects created
   * in the same file do. A row without `source` matches any directory.
   */
  applied?: { source?: string; name: string }[];
}

export interface LintedFile {
  path: string;
  name: string;
  statements: number;
  transactional: boolean;
  applied: boolean;
}

export interface LintResult {
  /** Sorted by file (runner order), line, column. */
  findings: LintFinding[];
  files: LintedFile[];
}

interface Pending extends LintFinding {
  fileIndex: number;
  statement: number;
}

export function parsePgVersion(value: number | string | undefined): PgVersion {
  if (value === undefined) return { major: 15, minor: undefined };
  const m = /^(\d+)(?:\.(\d+))?$/.exec(String(value).trim());
  if (!m) throw new RangeError(`--pg-version must look like 15 or 14.2 (got "${String(value)}")`);
  return { major: Number(m[1]), minor: m[2] === undefined ? undefined : Number(m[2]) };
}

/**
 * Lints migration directories as the runner will execute them: in runner
 * order, each file in a transaction unless it starts with
 * `-- opskit:no-transaction`, with the whole history known (an index on a
 * table created earlier in the same file is fine; a type used before the
 * file that creates it is an error).
 *
 * @example
 * const { findings } = await lintMigrations({ dirs: ["migrations"], pgVersion: 15 });
 * if (findings.some((f) => f.severity === "error")) process.exitCode = 1;
 */
export async function lintMigrations(options: LintOptions): Promise<LintResult> {
  const pg = parsePgVersion(options.pgVersion);
  await loadSqlParser();
  const files = await loadFiles(options, pg);
  const findings: Pending[] = [];
  const creations = firstCreations(files);
  const model = createSchemaModel();
  const byKind = new Map<string, LintRule[]>();
  const rulesFor = (kind: string): LintRule[] => {
    let rules = byKind.get(kind);
    if (!rules) {
      rules = LINT_RULES.filter((r) => r.statement && (!r.kinds || r.kinds.includes(kind)));
      byKind.set(kind, rules);
    }
    return rules;
  };
  let seq = 0;
  for (const file of files) {
    const error = (file as LintFile & { error?: Pending }).error;
    if (error) findings.push(error);
    if (!file.parsed) continue;
    const { statements } = file.parsed;
    const states = new Map<string, unknown>();
    let rule: LintRule = LINT_RULES[0]!;
    const base: FileContext = {
      file,
      statements,
      model,
      pg,
      state<T>(init: () => T): T {
        if (!states.has(rule.id)) states.set(rule.id, init());
        return states.get(rule.id) as T;
      },
      reportAt(index, message, location) {
        const statement = statements[index];
        if (!statement) return;
        const at =
          location === undefined
            ? { line: statement.line, column: statement.column }
            : file.parsed!.source.position(file.parsed!.source.offsetOfByte(location));
        findings.push({
          file: file.path,
          line: at.line,
          column: at.column,
          rule: rule.id,
          severity: rule.severity,
          message,
          fileIndex: file.index,
          statement: index,
        });
      },
      fileName: (index) => files[index]?.name ?? "?",
    };
    const isNewFile = (index: number) =>
      index === file.index || (options.applied !== undefined && !files[index]?.applied);
    // One context per file, moved along the statements (rules keep no reference to it).
    const ctx: StatementContext = {
      ...base,
      statement: statements[0]!,
      index: 0,
      seq,
      isNewFile,
      isNew(key) {
        const relation = model.relations.get(key);
        return relation !== undefined && isNewFile(relation.file);
      },
      creations,
      report: (message, location) => base.reportAt(ctx.index, message, location),
    };
    for (const [index, statement] of statements.entries()) {
      ctx.statement = statement;
      ctx.index = index;
      ctx.seq = seq;
      for (const r of rulesFor(statement.kind)) {
        rule = r;
        r.statement!(ctx);
      }
      model.apply(statement, file.index);
      seq++;
    }
    for (const r of LINT_RULES) {
      if (!r.endOfFile) continue;
      rule = r;
      r.endOfFile(base);
    }
  }
  let historyRule: LintRule = LINT_RULES[0]!;
  const history: HistoryContext = {
    files,
    report(fileIndex, statement, message) {
      const file = files[fileIndex];
      if (!file) return;
      const at = file.parsed?.statements[statement] ?? { line: 1, column: 1 };
      findings.push({
        file: file.path,
        line: at.line,
        column: at.column,
        rule: historyRule.id,
        severity: historyRule.severity,
        message,
        fileIndex,
        statement,
      });
    },
  };
  for (const r of LINT_RULES) {
    if (!r.history) continue;
    historyRule = r;
    r.history(history);
  }
  return { findings: applyIgnores(files, findings), files: files.map(describe) };
}

function describe(file: LintFile): LintedFile {
  return {
    path: file.path,
    name: file.name,
    statements: file.parsed?.statements.length ?? 0,
    transactional: file.transactional,
    applied: file.applied,
  };
}

async function loadFiles(options: LintOptions, pg: PgVersion): Promise<LintFile[]> {
  const files: LintFile[] = [];
  for (const dir of options.dirs) {
    const source = path.resolve(dir) === path.resolve(toolkitMigrationsDir) ? "opskit" : "app";
    const info = await stat(dir);
    const found: MigrationText[] = info.isDirectory()
      ? await readMigrationTexts(dir)
      : await readFile(dir, "utf8").then((raw) => [
          { name: path.basename(dir), path: dir, sql: normaliseSql(raw), raw },
        ]);
    for (const f of found) {
      const applied = (options.applied ?? []).some(
        (a) => a.name === f.name && (a.source === undefined || a.source === source),
      );
      const file: LintFile & { error?: Pending } = {
        name: f.name,
        path: f.path,
        dir,
        source,
        index: files.length,
        applied,
        transactional: true,
        parsed: undefined,
      };
      try {
        file.parsed = parseMigrationSync(f.sql, { pgVersion: pg.major });
        file.transactional = runsInTransaction(file.parsed);
      } catch (error) {
        if (!isOpskitError(error, "MIGRATION_PARSE_ERROR")) throw error;
        const details = error.details as { line: number; column: number; kind?: string };
        const rule = ruleById(details.kind === "directive" ? "invalid-directive" : "syntax-error");
        file.error = {
          file: f.path,
          line: details.line,
          column: details.column,
          rule: rule.id,
          severity: rule.severity,
          message: `${error.message.replace(/^line \d+, column \d+: /, "")}. ${
            rule.id === "syntax-error"
              ? "The runner would fail on this file; nothing else in it was linted."
              : "The runner refuses this file; fix the header."
          }`,
          fileIndex: file.index,
          statement: -1,
        };
      }
      files.push(file);
    }
  }
  return files;
}

/** First creation of every object across the history (for "used before created"). */
function firstCreations(files: LintFile[]): Map<string, Creation> {
  const creations = new Map<string, Creation>();
  let seq = 0;
  for (const file of files) {
    for (const s of file.parsed?.statements ?? []) {
      for (const o of createdObjects(s.ast)) {
        const key = `${o.kind}:${o.key}`;
        if (!creations.has(key)) creations.set(key, { seq, file: file.index, line: s.line });
      }
      seq++;
    }
  }
  return creations;
}

function applyIgnores(files: LintFile[], pending: Pending[]): LintFinding[] {
  const ignores = new Map<number, IgnoreComment[]>();
  for (const file of files) {
    if (file.parsed)
      ignores.set(file.index, readIgnoreComments(file.parsed.comments, file.parsed.statements));
  }
  const kept = pending.filter((f) => {
    const ignore = ignores
      .get(f.fileIndex)
      ?.find((i) => i.statement === f.statement && i.reason && i.rules.includes(f.rule));
    ignore?.used.add(f.rule);
    return !ignore;
  });
  for (const file of files) {
    for (const i of ignores.get(file.index) ?? []) {
      const at = {
        file: file.path,
        line: i.line,
        column: i.column,
        fileIndex: file.index,
        statement: -1,
      };
      if (!i.reason || i.rules.length === 0) {
        kept.push({
          ...at,
          ...meta("ignore-missing-reason"),
          message:
            i.rules.length === 0
              ? "opskit-lint-ignore names no rule: write `-- opskit-lint-ignore rule-id: why it is safe here`."
              : `This ignore of ${i.rules.join(", ")} has no reason, so it does not apply: write \`-- opskit-lint-ignore ${i.rules.join(", ")}: why it is safe here\` (the reason is what a reviewer reads).`,
        });
        continue;
      }
      for (const r of i.rules) {
        if (i.used.has(r)) continue;
        const known = LINT_RULES.some((rule) => rule.id === r);
        kept.push({
          ...at,
          ...meta("unused-ignore"),
          message: known
            ? i.statement === -1
              ? `This ignore of ${r} is after the last statement; it applies to nothing. Remove it.`
              : `Nothing of ${r} was found in the next statement, so this ignore is unused. Remove it (stale ignores hide future findings).`
            : `Unknown rule "${r}" in opskit-lint-ignore; see the rule list in docs/migrate.md.`,
        });
      }
    }
  }
  return kept
    .sort((a, b) => a.fileIndex - b.fileIndex || a.line - b.line || a.column - b.column)
    .map(({ file, line, column, rule, severity, message }) => ({
      file,
      line,
      column,
      rule,
      severity,
      message,
    }));
}

function meta(id: string) {
  const rule = ruleById(id);
  return { rule: rule.id, severity: rule.severity };
}
