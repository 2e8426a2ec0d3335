import { formatConfigReport } from "./config-report.js";
import { loadConfig, type Env, type LoadConfigOptions } from "./load-config.js";
import type { ConfigOf, Manifest } from "./manifest.js";

export interface LoadConfigOrExitOptions extends LoadConfigOptions {
  /** Print the report as one JSON object instead of text. */
  json?: boolean;
  /** Where the report goes; default `process.stderr`. */
  stderr?: { write(text: string): unknown };
  /** Ends the process; default `process.exit`. Tests pass one that throws. */
  exit?: (code: number) => never;
}

/** Exit code for a bad configuration (the CLI's "usage or config error"). */
export const CONFIG_EXIT_CODE = 2;

/**
 * The boot-time convenience: the config, or the whole report on stderr and
 * exit code 2. Unknown variables allowed by `allowUnknown` are printed as a
 * warning and do not stop the process.
 *
 * @example
 * const config = loadConfigOrExit(extendManifest(baseManifest, manifest), process.env);
 */
export function loadConfigOrExit<M extends Manifest>(
  manifest: M,
  env: Env = process.env,
  options: LoadConfigOrExitOptions = {},
): ConfigOf<M> {
  const stderr = options.stderr ?? process.stderr;
  const result = loadConfig(manifest, env, options);
  if (result.ok) {
    if (result.unknown.length > 0) {
      stderr.write(
        options.json
          ? JSON.stringify({ ok: true, unknown: result.unknown }) + "\n"
          : result.unknown.map((problem) => `warning: ${problem.message}\n`).join(""),
      );
    }
    return result.config;
  }
  stderr.write(formatConfigReport(result.report, options.json ? "json" : "text") + "\n");
  return (options.exit ?? process.exit)(CONFIG_EXIT_CODE);
}
