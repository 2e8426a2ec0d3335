/**
 * Writes a soak report's Markdown again from its JSON (after a change to the
 * report's tables): `node --import tsx bench/soak/rerender.ts bench/results/soak`.
 * The invariants are the run's own (they need the run's database); only the
 * tables computed from the samples are recomputed.
 */
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { renderMarkdown, type SoakReport } from "./report.js";

const dir = process.argv[2];
if (!dir) {
  process.stderr.write("usage: rerender.ts <report folder with soak.json>\n");
  process.exit(2);
}
const report = JSON.parse(await readFile(path.join(dir, "soak.json"), "utf8")) as SoakReport;
report.heapSnapshots ??= [];
report.chaosOn ??= true;
await writeFile(path.join(dir, "soak.md"), renderMarkdown(report));
process.stdout.write(`${path.join(dir, "soak.md")}\n`);
