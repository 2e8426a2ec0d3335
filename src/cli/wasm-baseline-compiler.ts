import { setFlagsFromString } from "node:v8";

/**
 * Keeps WebAssembly on V8's baseline compiler (Liftoff) in this process.
 *
 * The SQL parser (libpg-query) is a 1.1 MB WASM module. By default V8 also
 * recompiles its hot functions (the bison parser above all, one huge
 * function) with its optimizing compiler, in background threads: for a CLI
 * process that parses a few files, or even 10,000 statements, that compile
 * costs more CPU than the faster code gives back (measured on
 * `migrate lint`: 0.4 s → 0.15 s of CPU for one small file, about 25 % less
 * on the 10,000-statement benchmark). Call it before the parser module is
 * imported (it starts compiling on import); only the CLI does, a process
 * that uses the library keeps V8's defaults.
 */
export function useWasmBaselineCompiler(): void {
  setFlagsFromString("--liftoff-only");
}
