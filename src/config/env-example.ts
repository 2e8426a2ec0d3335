import { describeVar, type VarDescription } from "./describe-var.js";
import { diffLines, formatHunks } from "./line-diff.js";
import { maskUrlCredentials } from "../log/index.js";
import type { Manifest } from "./manifest.js";

const HEADER = [
  "# Generated from the config manifest by `opskit config example`: do not edit by hand.",
  "# An empty value counts as unset. Secrets are blank on purpose: never commit their values.",
];

/**
 * The text of `.env.example`, byte for byte the same for the same manifest:
 * manifest order, each variable's description as `#` comments, then its type
 * and presence, then `NAME=value` with the default, else the example, and
 * always blank for secrets.
 *
 * @example
 * await writeFile(".env.example", renderEnvExample(extendManifest(baseManifest, manifest)));
 */
export function renderEnvExample(manifest: Manifest): string {
  const lines = [...HEADER];
  for (const [name, declared] of Object.entries(manifest.vars)) {
    const about = describeVar(name, declared);
    lines.push("");
    for (const line of (about.description ?? "").split("\n")) {
      if (line.trim() !== "") lines.push(`# ${line.trim()}`);
    }
    lines.push(`# ${notes(about)}`);
    // An optional variable stays blank: a copied .env.example should not set
    // a made-up release id; its example is in the comment instead.
    const value = about.secret
      ? ""
      : (about.default ?? (about.required ? (about.example ?? "") : ""));
    lines.push(`${name}=${quote(value)}`);
  }
  return lines.join("\n") + "\n";
}

function notes(about: VarDescription): string {
  const presence =
    about.default !== undefined
      ? `default ${about.default}`
      : about.required
        ? "required"
        : "optional";
  const secret = about.secret && !about.type.startsWith("secret") ? ", secret" : "";
  const example =
    about.example !== undefined && about.example !== about.default ? `, e.g. ${about.example}` : "";
  return `${about.type}, ${presence}${secret}${example}`;
}

// dotenv reads an unquoted value up to a `#`, and trims it; anything that
// would change meaning is double-quoted.
function quote(value: string): string {
  if (!/[\s#"'`$\\]/.test(value)) return value;
  return `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`;
}

/** How a `.env.example` differs from what the manifest generates. */
export interface EnvExampleDrift {
  /** True when the file is exactly what `renderEnvExample` gives (line endings aside). */
  ok: boolean;
  /** Declared variables the file does not assign. */
  missingKeys: string[];
  /** Keys the file assigns that the manifest does not declare. */
  extraKeys: string[];
  /** Changed lines, unified-diff style (`-` the file, `+` generated); values not declared non-secret are hidden. */
  diff: string[];
  /** The above for people; empty when ok. */
  message: string;
}

const ASSIGNMENT = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=(.*)$/;

/**
 * Compares a `.env.example` with what the manifest generates, so CI can fail
 * on drift (`opskit config check`). Values in the file of keys that are not
 * declared non-secret are hidden in the diff: they might be real secrets
 * committed by mistake.
 *
 * @example
 * const drift = checkEnvExample(manifest, await readFile(".env.example", "utf8"));
 * if (!drift.ok) console.error(drift.message);
 */
export function checkEnvExample(manifest: Manifest, fileText: string): EnvExampleDrift {
  const expected = renderEnvExample(manifest);
  // CRLF from a Windows checkout is not drift.
  const actual = fileText.replace(/\r\n/g, "\n");
  const fileKeys = new Set<string>();
  for (const line of actual.split("\n")) {
    const match = ASSIGNMENT.exec(line);
    if (match?.[1]) fileKeys.add(match[1]);
  }
  const declared = Object.keys(manifest.vars);
  const missingKeys = declared.filter((name) => !fileKeys.has(name));
  const extraKeys = [...fileKeys].filter((name) => !Object.hasOwn(manifest.vars, name));
  if (actual === expected) return { ok: true, missingKeys, extraKeys, diff: [], message: "" };

  const shown = (line: string) => hideValue(manifest, line);
  const lines = diffLines(actual.split("\n").map(shown), expected.split("\n"));
  const diff = lines ? formatHunks(lines) : [];
  const message = [
    ".env.example differs from what the manifest generates.",
    ...(missingKeys.length ? [`missing keys: ${missingKeys.join(", ")}`] : []),
    ...(extraKeys.length ? [`keys not in the manifest: ${extraKeys.join(", ")}`] : []),
    ...(lines ? ["--- .env.example", "+++ generated", ...diff] : ["(too large to diff)"]),
  ].join("\n");
  return { ok: false, missingKeys, extraKeys, diff, message };
}

function hideValue(manifest: Manifest, line: string): string {
  const match = ASSIGNMENT.exec(line);
  const name = match?.[1];
  if (name === undefined) return maskUrlCredentials(line);
  const declared = manifest.vars[name];
  const value = match?.[2] ?? "";
  if ((declared && !declared.secret) || value.trim() === "") return maskUrlCredentials(line);
  return `${name}=<value hidden, ${value.length} characters>`;
}
