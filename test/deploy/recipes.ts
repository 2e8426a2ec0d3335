/**
 * The deploy recipes (deploy/), read for the tests: parsed with the ecosystem's parsers,
 * and the `opskit …` command lines they run, split into argv.
 */
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { parse as parseToml } from "smol-toml";
import { parseAllDocuments } from "yaml";

export const root = path.resolve(import.meta.dirname, "../..");
const read = (file: string) => readFileSync(path.join(root, file), "utf8");

export const flyToml = () => parseToml(read("deploy/fly/fly.toml"));

/** YAML documents of a file, failing on any YAML error or warning (duplicate keys, tabs…). */
export function yamlDocuments(file: string): unknown[] {
  return parseAllDocuments(read(file), { uniqueKeys: true, prettyErrors: true }).map((doc) => {
    const problems = [...doc.errors, ...doc.warnings];
    if (problems.length) throw new Error(`${file}: ${problems.map((p) => p.message).join("; ")}`);
    return doc.toJS() as unknown;
  });
}

export const renderYaml = () => yamlDocuments("deploy/render/render.yaml")[0];
export const workflowText = () => read("deploy/github/opskit.yml");

/** Every Kubernetes object in deploy/k8s, with the file it came from. */
export function k8sObjects(): { file: string; object: Record<string, unknown> }[] {
  const dir = path.join(root, "deploy/k8s");
  return readdirSync(dir)
    .filter((f) => f.endsWith(".yaml"))
    .sort()
    .flatMap((f) =>
      yamlDocuments(`deploy/k8s/${f}`).map((object) => ({
        file: f,
        object: object as Record<string, unknown>,
      })),
    );
}

/**
 * A command line as argv: words split on blanks, "double" and 'single' quotes kept
 * together, `$NAME` and `"$NAME"` replaced from `vars` (an unknown one throws).
 */
export function commandWords(line: string, vars: Record<string, string> = {}): string[] {
  const words: string[] = [];
  for (const match of line.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)) {
    const word = match[1] ?? match[2] ?? match[3]!;
    words.push(
      match[2] !== undefined
        ? word
        : word.replace(/\$\{?([A-Z_]+)\}?/g, (_, name: string) => {
            const value = vars[name];
            if (value === undefined) throw new Error(`${line}: no value for $${name}`);
            return value;
          }),
    );
  }
  return words;
}
