// The linter's public face, apart from the migrate area's index: that one
// pulls in the runner (pg, the db area), and a lint in a pre-commit hook
// should start fast.
export { formatFindings, LINT_FORMATS, type LintFormat } from "./format-findings.js";
export {
  lintMigrations,
  parsePgVersion,
  type LintedFile,
  type LintOptions,
  type LintResult,
} from "./lint-migrations.js";
