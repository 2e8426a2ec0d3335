/** One problem with one variable. Never holds a value: only what was expected. */
export interface ConfigProblem {
  name: string;
  /** What a valid value looks like (for unknown variables: that it is not declared). */
  expected: string;
  /** The type label, for missing and invalid variables. */
  type?: string;
  description?: string;
  /** An example value; never for secrets (a secret URL's shows with its password masked). */
  example?: string;
  secret?: boolean;
  /** For invalid values: what was wrong, without the value (`got 20 bytes`, `item 2 of 3 is not valid`). */
  detail?: string;
  /** For unknown variables: the declared name it looks like a typo of. */
  didYouMean?: string;
  /** One sentence: what is wrong and what to do. */
  message: string;
}

/** Every problem of one validation, grouped. */
export interface ConfigReport {
  /** Required and not set (or set to an empty string). */
  missing: ConfigProblem[];
  /** Set, but not what the type expects. */
  invalid: ConfigProblem[];
  /** Set, with one of the manifest's prefixes, but not declared: usually a typo. */
  unknown: ConfigProblem[];
}

export type ReportFormat = "text" | "json";

/**
 * The report for people (`text`) or machines (`json`: one line, one object
 * `{ ok, code, missing, invalid, unknown }`). Neither ever holds a value.
 *
 * @example
 * if (!result.ok) process.stderr.write(formatConfigReport(result.report, "text") + "\n");
 */
export function formatConfigReport(report: ConfigReport, format: ReportFormat): string {
  if (format === "json") {
    return JSON.stringify({ ok: isEmpty(report), code: "CONFIG_INVALID", ...report });
  }
  if (isEmpty(report)) return "Configuration is valid.";
  const { missing, invalid, unknown } = report;
  const lines = [
    `Configuration is invalid: ${missing.length} missing, ${invalid.length} invalid, ${unknown.length} unknown.`,
  ];
  section(lines, "Missing (required, not set):", missing);
  section(lines, "Invalid (set, but not valid; values are never shown):", invalid);
  if (unknown.length > 0) {
    lines.push("", "Unknown (set with a declared prefix, but not in the manifest):");
    for (const problem of unknown) {
      lines.push(
        `  ${problem.name}${problem.didYouMean ? `: did you mean ${problem.didYouMean}?` : ""}`,
      );
    }
  }
  lines.push(
    "",
    "Set or fix these variables and start again (an empty value counts as unset).",
    "`opskit config check` validates without starting; `opskit config docs` lists every variable.",
  );
  return lines.join("\n");
}

function section(lines: string[], title: string, problems: ConfigProblem[]) {
  if (problems.length === 0) return;
  lines.push("", title);
  for (const problem of problems) {
    lines.push(`  ${problem.name}${problem.secret ? " (secret)" : ""}`);
    lines.push(`    expected: ${problem.expected}${problem.detail ? `; ${problem.detail}` : ""}`);
    if (problem.description) lines.push(`    about:    ${problem.description}`);
    if (problem.example) lines.push(`    example:  ${problem.example}`);
  }
}

/** True when the report has no problem at all. */
export function isEmpty(report: ConfigReport): boolean {
  return report.missing.length + report.invalid.length + report.unknown.length === 0;
}
