import { OpskitError } from "../errors.js";
import { closestName } from "./closest-name.js";
import { isEmpty, type ConfigProblem, type ConfigReport } from "./config-report.js";
import { describeVar } from "./describe-var.js";
import type { ConfigOf, Manifest } from "./manifest.js";

/** The environment to read: `process.env` or any record of strings. */
export type Env = Readonly<Record<string, string | undefined>>;

export interface LoadConfigOptions {
  /** Accept unknown prefixed variables (returned in `unknown` for a warning) instead of failing. */
  allowUnknown?: boolean;
}

export type LoadConfigResult<C> =
  { ok: true; config: C; unknown: ConfigProblem[] } | { ok: false; report: ConfigReport };

/**
 * Validates `env` against the manifest, once, collecting every problem.
 * Values are trimmed; an empty value counts as unset. The config is frozen,
 * and reading an undeclared name from it throws instead of giving undefined.
 *
 * @example
 * const result = loadConfig(manifest, process.env);
 * if (!result.ok) { console.error(formatConfigReport(result.report, "text")); process.exit(2); }
 * const port: number = result.config.PORT;
 */
export function loadConfig<M extends Manifest>(
  manifest: M,
  env: Env = process.env,
  options: LoadConfigOptions = {},
): LoadConfigResult<ConfigOf<M>> {
  const report: ConfigReport = { missing: [], invalid: [], unknown: [] };
  const values: Record<string, unknown> = {};
  for (const [name, declared] of Object.entries(manifest.vars)) {
    const text = env[name]?.trim() ?? "";
    const parsed = text === "" ? undefined : declared.parse(text);
    if (parsed?.ok) {
      values[name] = parsed.value;
    } else if (parsed) {
      const about = describeVar(name, declared);
      const detail = parsed.detail ? `; ${parsed.detail}` : "";
      report.invalid.push({
        ...problemFields(about),
        ...(parsed.detail ? { detail: parsed.detail } : {}),
        message: `${name} is invalid: expected ${about.expected}${detail}.`,
      });
    } else if (declared.presence === "required") {
      const about = describeVar(name, declared);
      report.missing.push({
        ...problemFields(about),
        message: `${name} is not set: expected ${about.expected}.`,
      });
    } else {
      values[name] = declared.default;
    }
  }
  const declaredNames = Object.keys(manifest.vars);
  for (const name of Object.keys(env).sort()) {
    if (Object.hasOwn(manifest.vars, name) || !env[name]?.trim()) continue;
    if (!manifest.prefixes.some((prefix) => name.startsWith(prefix))) continue;
    const didYouMean = closestName(name, declaredNames);
    const hint = didYouMean ? ` (did you mean ${didYouMean}?)` : "";
    report.unknown.push({
      name,
      expected: "not declared in the manifest",
      ...(didYouMean ? { didYouMean } : {}),
      message: `${name} is set but not declared in the manifest${hint}; fix its name, remove it, or declare it.`,
    });
  }
  const unknownIsFine = options.allowUnknown === true;
  const failed = unknownIsFine
    ? report.missing.length + report.invalid.length > 0
    : !isEmpty(report);
  if (failed) return { ok: false, report };
  return { ok: true, config: freezeConfig(values) as ConfigOf<M>, unknown: report.unknown };
}

/**
 * `loadConfig` for code that prefers an exception: throws `CONFIG_INVALID`
 * with the names in the message and the whole report in `details.report`.
 *
 * @example
 * const config = requireConfig(manifest, { PORT: "8080" });
 */
export function requireConfig<M extends Manifest>(
  manifest: M,
  env: Env = process.env,
  options: LoadConfigOptions = {},
): ConfigOf<M> {
  const result = loadConfig(manifest, env, options);
  if (result.ok) return result.config;
  throw configError(result.report);
}

/**
 * The `CONFIG_INVALID` error for a report: names only in the message, the
 * report (which never holds values) in `details.report`.
 *
 * @example
 * if (!result.ok) throw configError(result.report);
 */
export function configError(report: ConfigReport): OpskitError {
  const groups = (["missing", "invalid", "unknown"] as const)
    .filter((group) => report[group].length > 0)
    .map((group) => `${group} ${report[group].map((p) => p.name).join(", ")}`);
  return new OpskitError(
    "CONFIG_INVALID",
    `The configuration is invalid: ${groups.join("; ")}. Run \`opskit config check\` for the full report.`,
    { details: { report } },
  );
}

function problemFields(about: ReturnType<typeof describeVar>): Omit<ConfigProblem, "message"> {
  return {
    name: about.name,
    expected: about.expected,
    type: about.type,
    ...(about.description ? { description: about.description } : {}),
    ...(about.example ? { example: about.example } : {}),
    ...(about.secret ? { secret: true } : {}),
  };
}

const ENV_NAME = /^[A-Z][A-Z0-9_]*$/;

// Frozen, and a read of an undeclared env-style name (a typo, or a variable
// never added to the manifest) throws instead of quietly giving undefined.
// Other keys (`then`, `toJSON`, symbols) pass through, so the object can be
// awaited, logged and serialised.
function freezeConfig(values: Record<string, unknown>): object {
  return new Proxy(Object.freeze(values), {
    get(target, key, receiver) {
      if (typeof key === "string" && ENV_NAME.test(key) && !Object.hasOwn(target, key)) {
        throw new OpskitError(
          "CONFIG_MANIFEST_INVALID",
          `${key} is not declared in the config manifest, so it was never validated; declare it with v.*() to read it.`,
        );
      }
      return Reflect.get(target, key, receiver) as unknown;
    },
  });
}
