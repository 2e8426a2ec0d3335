import { LINT_RULES } from "./rules/all-rules.js";

/**
 * The rule table of docs/migrate.md ("Lint rules"), generated from the rules
 * themselves; a test checks the doc carries exactly this.
 *
 * @example
 * console.log(renderLintRulesDocs());
 */
export function renderLintRulesDocs(): string {
  const rows = ["| rule | severity | what it catches |", "| --- | --- | --- |"];
  for (const rule of LINT_RULES) {
    const summary = rule.summary.replace(/\|/g, "\\|").replace(/</g, "&lt;").replace(/>/g, "&gt;");
    rows.push(`| \`${rule.id}\` | ${rule.severity} | ${summary} |`);
  }
  return rows.join("\n") + "\n";
}
