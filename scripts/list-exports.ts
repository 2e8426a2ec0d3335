/**
 * Lists every name each subpath export of the package exposes (values and
 * types), one `subpath name kind` line each: the public API, checked in as
 * docs/api/exports.txt and diffed in review like sql/schema.sql.
 *
 *   node --import tsx scripts/list-exports.ts > docs/api/exports.txt
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import ts from "typescript";

const root = path.resolve(import.meta.dirname, "..");

export function listExports(): string {
  const pkg = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as {
    exports: Record<string, { "opskit-source": string }>;
  };
  const entries = Object.entries(pkg.exports).map(([subpath, target]) => ({
    subpath: subpath === "." ? "opskit" : `opskit/${subpath.slice(2)}`,
    file: path.join(root, target["opskit-source"]),
  }));
  const program = ts.createProgram(
    entries.map((e) => e.file),
    {
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      strict: true,
      noEmit: true,
    },
  );
  const checker = program.getTypeChecker();
  const lines: string[] = [];
  for (const { subpath, file } of entries) {
    const source = program.getSourceFile(file);
    const symbol = source && checker.getSymbolAtLocation(source);
    if (!symbol) throw new Error(`cannot read the exports of ${file}`);
    for (const exported of checker.getExportsOfModule(symbol)) {
      const target =
        exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      const kind = target.flags & ts.SymbolFlags.Value ? "value" : "type";
      lines.push(`${subpath} ${exported.getName()} ${kind}`);
    }
  }
  return lines.sort().join("\n") + "\n";
}

if (process.argv[1] === import.meta.filename) process.stdout.write(listExports());
