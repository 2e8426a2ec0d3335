import type { ParsedMigration, SqlStatement } from "../parse-migration.js";
import type { SchemaModel } from "./schema-model.js";

export type Severity = "error" | "warning" | "info";

/** One problem, in the shape `--format json` prints. */
export interface LintFinding {
  file: string;
  line: number;
  column: number;
  rule: string;
  severity: Severity;
  message: string;
}

/** A migration file as the linter sees it, in runner order. */
export interface LintFile {
  /** `0001_x.sql`, or the folder name in Prisma's layout. */
  name: string;
  /** The path as found (`DIR/0001_x.sql`), used in findings. */
  path: string;
  source: string;
  /** The directory (or single file) given, as given: versions are unique per directory. */
  dir: string;
  /** Position in runner order across every directory linted. */
  index: number;
  /** Applied according to the history table (always false without `applied`). */
  applied: boolean;
  /** The runner wraps it in one transaction (no `-- opskit:no-transaction` header). */
  transactional: boolean;
  /** Undefined when the file does not parse (the finding is `syntax-error`). */
  parsed: ParsedMigration | undefined;
}

export interface PgVersion {
  major: number;
  /** Only when given (`--pg-version 14.2`). */
  minor: number | undefined;
}

export interface FileContext {
  file: LintFile;
  statements: SqlStatement[];
  model: SchemaModel;
  pg: PgVersion;
  /** Per-file scratch state of the running rule. */
  state<T>(init: () => T): T;
  /** Reports at statement `index` (or at a byte `location` inside it). */
  reportAt(index: number, message: string, location?: number): void;
  /** Name of the file with this runner-order index. */
  fileName(index: number): string;
}

/** Where an object is first created, in runner order. */
export interface Creation {
  seq: number;
  file: number;
  line: number;
}

export interface StatementContext extends FileContext {
  statement: SqlStatement;
  /** Index of the statement in its file. */
  index: number;
  /** Runner-order sequence number of the statement across all files. */
  seq: number;
  /**
   * The relation was created by this file, or by a file not applied yet
   * (known only with `applied`): it holds no rows when this statement runs.
   */
  isNew(relationKey: string): boolean;
  /** Whether a file index is this file or an unapplied one. */
  isNewFile(fileIndex: number): boolean;
  /** First creation of each object (`relation:key`, `type:key`, `function:key`, `column:table.col`). */
  creations: ReadonlyMap<string, Creation>;
  /** Reports this statement (or a byte `location` inside it). */
  report(message: string, location?: number): void;
}

export interface LintRule {
  /** Stable kebab-case id, used in ignores and output. */
  id: string;
  severity: Severity;
  /** What it catches, for the docs table. */
  summary: string;
  /** Statement kinds it looks at; all when absent. */
  kinds?: string[];
  statement?(ctx: StatementContext): void;
  endOfFile?(ctx: FileContext): void;
  /** Once, after every file: for what only the whole history shows. */
  history?(ctx: HistoryContext): void;
}

export interface HistoryContext {
  /** Every file, in runner order. */
  files: readonly LintFile[];
  /** Reports statement `statement` of file `file` (-1: the file itself, at its first line). */
  report(file: number, statement: number, message: string): void;
}
