import { readdirSync, statSync } from "node:fs";
import path from "node:path";
import { setFlagsFromString } from "node:v8";

/**
 * Compiler choices for a short CLI run (V8 flags, process-wide: only the CLI
 * sets them; a process that uses the library keeps V8's defaults).
 */

/**
 * Keeps WebAssembly on V8's baseline compiler (Liftoff).
 *
 * The SQL parser (libpg-query) is a 1.1 MB WASM module. By default V8 also
 * recompiles its hot functions (the bison parser above all, one huge
 * function) with its optimizing compiler, in background threads: for a CLI
 * process that parses a few files, or even 10,000 statements, that compile
 * costs more CPU than the faster code gives back (measured on
 * `migrate lint`: 0.33 s → 0.12 s of CPU for one small file, about 20 % less
 * on the 10,000-statement benchmark). Call it before the parser module is
 * imported (it starts compiling on import).
 */
export function useWasmBaselineCompiler(): void {
  setFlagsFromString("--liftoff-only");
}

/**
 * Below this much SQL, `migrate lint` runs its JavaScript without V8's
 * optimizing compiler (TurboFan): the rules run once per statement, and
 * optimizing them costs more CPU than it saves until a history of about
 * 20,000 statements (measured on the benchmark's mix: 10,000 statements
 * 15–20 % less CPU without it, 20,000 even, 40,000 20 % more).
 */
export const LINT_NO_OPT_BELOW_BYTES = 2_000_000;

/** Turns V8's optimizing JavaScript compiler off for the rest of the process. */
export function skipJsOptimizingCompiler(): void {
  setFlagsFromString("--no-opt");
}

/**
 * Total size of the migrations under `paths` (files as given, `*.sql` in a
 * directory, Prisma's `<dir>/migration.sql`), from the directory entries
 * alone. Unreadable paths count 0: the linter reports them.
 */
export function migrationBytes(paths: string[]): number {
  let total = 0;
  const size = (file: string) => {
    try {
      return statSync(file).size;
    } catch {
      return 0;
    }
  };
  for (const p of paths) {
    try {
      if (!statSync(p).isDirectory()) {
        total += size(p);
        continue;
      }
      for (const entry of readdirSync(p, { withFileTypes: true })) {
        if (entry.isFile() && entry.name.endsWith(".sql")) total += size(path.join(p, entry.name));
        else if (entry.isDirectory()) total += size(path.join(p, entry.name, "migration.sql"));
      }
    } catch {
      // reported by the linter
    }
  }
  return total;
}
