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
 * Lets V8's optimizing JavaScript compiler (TurboFan) wait for functions that
 * are really hot (a budget 60 times V8's default). A lint run calls each
 * rule once per statement: optimizing dozens of such functions costs more CPU
 * than it saves in one pass, while the parser glue's byte loops (run over
 * every byte of every file) still get optimized. Measured on `migrate lint`:
 * 10,000 statements 0.81 s → 0.59 s of CPU, 40,000 statements unchanged;
 * turning TurboFan off instead (`--no-opt`) was slower (0.73 s, and 20 % more
 * at 40,000). Call it before the lint modules are imported.
 */
export function optimizeOnlyHotFunctions(): void {
  setFlagsFromString("--interrupt-budget=4000000");
}
