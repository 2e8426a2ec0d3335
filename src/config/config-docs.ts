import { describeVar } from "./describe-var.js";
import type { Manifest } from "./manifest.js";

/**
 * The manifest as a Markdown table (name, type, required, default, secret,
 * description, example), in manifest order. Secrets show no example (a
 * secret URL's shows with its password masked).
 *
 * @example
 * console.log(renderConfigDocs(baseManifest));
 */
export function renderConfigDocs(manifest: Manifest): string {
  const rows = [
    "| name | type | required | default | secret | description | example |",
    "| --- | --- | --- | --- | --- | --- | --- |",
  ];
  for (const [name, declared] of Object.entries(manifest.vars)) {
    const about = describeVar(name, declared);
    rows.push(
      "| " +
        [
          code(name),
          cell(about.type),
          about.required ? "yes" : "no",
          about.default === undefined ? "" : code(about.default),
          about.secret ? "yes" : "no",
          cell(about.description ?? ""),
          about.example === undefined ? "" : code(about.example),
        ].join(" | ") +
        " |",
    );
  }
  return rows.join("\n") + "\n";
}

// One line per row, `|` escaped; outside code spans `<` and `>` too, or
// Markdown reads `<dir>` as an HTML tag.
function cell(text: string): string {
  return oneLine(text).replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function code(text: string): string {
  return "`" + oneLine(text).replace(/`/g, "'") + "`";
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, " ").replace(/\|/g, "\\|");
}
