import path from "node:path";
import { pathToFileURL } from "node:url";
import type { LintFinding, LintRule } from "./lint-rule.js";
import { LINT_RULES } from "./rules/all-rules.js";

export type LintFormat = "text" | "json" | "sarif" | "github";
export const LINT_FORMATS: readonly LintFormat[] = ["text", "json", "sarif", "github"];

/**
 * Findings as `opskit migrate lint --format …` prints them.
 *
 * @example
 * process.stdout.write(formatFindings(result.findings, "github", { version: "0.1.0" }));
 */
export function formatFindings(
  findings: LintFinding[],
  format: LintFormat,
  info: { version: string; files?: number },
): string {
  switch (format) {
    case "json":
      return JSON.stringify({
        findings: findings.map(({ file, line, column, rule, severity, message }) => ({
          file,
          line,
          column,
          rule,
          severity,
          message,
        })),
      });
    case "sarif":
      return JSON.stringify(toSarif(findings, info.version), null, 2);
    case "github":
      return findings.map(githubAnnotation).join("\n");
    case "text":
      return toText(findings, info.files);
  }
}

function toText(findings: LintFinding[], files: number | undefined): string {
  const lines = findings.map(
    (f) => `${f.file}:${f.line}:${f.column}: ${f.severity} [${f.rule}] ${f.message}`,
  );
  const count = (s: string) => findings.filter((f) => f.severity === s).length;
  lines.push(
    `${findings.length === 0 ? "no findings" : `${count("error")} error(s), ${count("warning")} warning(s), ${count("info")} info`}${files === undefined ? "" : ` in ${files} file(s)`}`,
  );
  return lines.join("\n");
}

// GitHub workflow commands: data escapes %, CR, LF; property values also : and ,.
function escapeData(s: string): string {
  return s.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}

function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, "%3A").replace(/,/g, "%2C");
}

function githubAnnotation(f: LintFinding): string {
  const command = f.severity === "info" ? "notice" : f.severity;
  return `::${command} file=${escapeProperty(f.file)},line=${f.line},col=${f.column},title=${escapeProperty(f.rule)}::${escapeData(f.message)}`;
}

const SARIF_LEVEL = { error: "error", warning: "warning", info: "note" } as const;

function toSarif(findings: LintFinding[], version: string) {
  const rules: readonly LintRule[] = LINT_RULES;
  const index = new Map(rules.map((r, i) => [r.id, i]));
  return {
    $schema: "https://json.schemastore.org/sarif-2.1.0.json",
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: {
            name: "opskit-migrate-lint",
            version,
            rules: rules.map((r) => ({
              id: r.id,
              shortDescription: { text: r.summary },
              help: { text: `See docs/migrate.md, "Lint rules", ${r.id}.` },
              defaultConfiguration: { level: SARIF_LEVEL[r.severity] },
            })),
          },
        },
        columnKind: "utf16CodeUnits",
        results: findings.map((f) => ({
          ruleId: f.rule,
          ruleIndex: index.get(f.rule) ?? -1,
          level: SARIF_LEVEL[f.severity],
          message: { text: f.message },
          locations: [
            {
              physicalLocation: {
                artifactLocation: { uri: toUri(f.file) },
                region: { startLine: f.line, startColumn: f.column },
              },
            },
          ],
        })),
      },
    ],
  };
}

/** An absolute path as a file: URI, a relative one as a URI reference. */
function toUri(file: string): string {
  if (path.isAbsolute(file)) return pathToFileURL(file).href;
  return file
    .split(/[\\/]/)
    .map((part) => encodeURIComponent(part))
    .join("/");
}
