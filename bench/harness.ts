import { readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

export interface BenchContext {
  quick: boolean;
}

export interface BenchResult {
  /** Rows printed as the summary table. */
  table: Record<string, string | number>[];
  /** Every figure measured. */
  figures: Record<string, unknown>;
  /** opskit vs anchor, as plain numbers (e.g. 1.08 = 8 % slower). */
  ratios: Record<string, number>;
  /** Versions of every system compared, beyond node and opskit. */
  versions?: Record<string, string>;
}

export type Benchmark = (ctx: BenchContext) => Promise<BenchResult>;

const root = path.resolve(import.meta.dirname, "..");

function packageVersion(name: string): string {
  try {
    const file = name === "opskit" ? "package.json" : `node_modules/${name}/package.json`;
    return (JSON.parse(readFileSync(path.join(root, file), "utf8")) as { version: string }).version;
  } catch {
    return "unknown";
  }
}

export function machine() {
  return {
    cpus: os.cpus().length,
    cpu_model: os.cpus()[0]?.model ?? "unknown",
    memory_bytes: os.totalmem(),
    platform: `${os.platform()} ${os.release()}`,
    node: process.version,
  };
}

export function versions(names: string[]): Record<string, string> {
  return Object.fromEntries(["opskit", ...names].map((n) => [n, packageVersion(n)]));
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export function median(values: number[]): number {
  return percentile(
    [...values].sort((a, b) => a - b),
    50,
  );
}

export function round(n: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

export async function writeResult(
  name: string,
  quick: boolean,
  result: BenchResult,
): Promise<string> {
  const file = path.join(root, "bench", "results", `${name}.json`);
  await mkdir(path.dirname(file), { recursive: true });
  const body = {
    benchmark: name,
    quick,
    date: new Date().toISOString(),
    machine: machine(),
    versions: { ...versions([]), ...result.versions },
    figures: result.figures,
    ratios: result.ratios,
    table: result.table,
  };
  await writeFile(file, JSON.stringify(body, null, 2) + "\n");
  return file;
}

export function printTable(rows: Record<string, string | number>[]): void {
  if (rows.length === 0) return;
  const cols = Object.keys(rows[0]!);
  const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c] ?? "").length)));
  const line = (cells: string[]) => cells.map((cell, i) => cell.padEnd(width[i]!)).join("  ");
  console.log(line(cols));
  console.log(line(width.map((w) => "-".repeat(w))));
  for (const r of rows) console.log(line(cols.map((c) => String(r[c] ?? ""))));
}
