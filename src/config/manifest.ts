import { OpskitError } from "../errors.js";
import { isVar, type Var, type ValueOf } from "./var.js";

/** Marks manifests, across copies of the package (the CLI may load a service's own copy). */
const MANIFEST_BRAND: unique symbol = Symbol.for("opskit.config.manifest") as never;

/** Variables by name. */
export type VarMap = Record<string, Var>;

/** A validated, frozen set of variable declarations. */
export interface Manifest<V extends VarMap = VarMap> {
  readonly [MANIFEST_BRAND]: true;
  /** Env names with these prefixes that the manifest does not declare are reported as unknown. */
  readonly prefixes: readonly string[];
  /** The declarations, in manifest order (the order of reports, docs and `.env.example`). */
  readonly vars: Readonly<V>;
}

/** The config object a manifest gives: one readonly key per variable, typed from its declaration. */
export type ConfigOf<M> =
  M extends Manifest<infer V> ? { readonly [K in keyof V]: ValueOf<V[K]> } : never;

export interface DefineManifestOptions<V extends VarMap> {
  /** e.g. `["BAKERY_"]`: set-but-undeclared names with these prefixes are reported as unknown (likely typos). */
  prefixes?: readonly string[];
  vars: V;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Declares a service's variables. Throws `CONFIG_MANIFEST_INVALID` listing
 * every problem at once (bad name, missing description, invalid default or
 * example, a secret with a default).
 *
 * @example
 * export const manifest = defineManifest({
 *   prefixes: ["BAKERY_"],
 *   vars: { BAKERY_STORES: v.list({ description: "Store domains.", example: "a.myshopify.com" }) },
 * });
 */
export function defineManifest<const V extends VarMap>(
  options: DefineManifestOptions<V>,
): Manifest<V> {
  const problems: string[] = [];
  for (const prefix of options.prefixes ?? []) {
    if (!NAME.test(prefix)) problems.push(`prefix "${prefix}" is not the start of an env name`);
  }
  for (const [name, declared] of Object.entries(options.vars) as [string, unknown][]) {
    if (!NAME.test(name)) {
      problems.push(
        `"${name}" is not a valid env name (letters, digits, _; not starting with a digit)`,
      );
    }
    if (!isVar(declared)) {
      problems.push(`${name}: declare it with a v.*() builder`);
      continue;
    }
    if (!declared.description?.trim()) problems.push(`${name}: it has no description`);
    for (const problem of declared.problems) problems.push(`${name}: ${problem}`);
  }
  if (problems.length > 0) {
    throw new OpskitError(
      "CONFIG_MANIFEST_INVALID",
      `The config manifest is invalid; fix these declarations: ${problems.join("; ")}.`,
      { details: { problems } },
    );
  }
  return freezeManifest([...new Set(options.prefixes ?? [])], { ...options.vars });
}

/**
 * The toolkit's base manifest plus a service's (or any two manifests): the
 * variables of both, in order, and both sets of prefixes. A name declared in
 * both throws `CONFIG_MANIFEST_INVALID` (no silent override), unless it is
 * the very same declaration reached twice (a manifest extended again).
 *
 * @example
 * const manifest = extendManifest(baseManifest, bakeryManifest);
 */
export function extendManifest<A extends VarMap, B extends VarMap>(
  base: Manifest<A>,
  extra: Manifest<B>,
): Manifest<A & B> {
  const duplicates = Object.keys(extra.vars).filter(
    (name) => Object.hasOwn(base.vars, name) && base.vars[name] !== extra.vars[name],
  );
  if (duplicates.length > 0) {
    throw new OpskitError(
      "CONFIG_MANIFEST_INVALID",
      `Declared in both manifests: ${duplicates.join(", ")}. Rename the service's variable or drop its declaration; a manifest never overrides another silently.`,
      { details: { duplicates } },
    );
  }
  return freezeManifest([...new Set([...base.prefixes, ...extra.prefixes])], {
    ...base.vars,
    ...extra.vars,
  });
}

/**
 * True for manifests built by `defineManifest` / `extendManifest`.
 *
 * @example
 * const found = Object.values(await import(file)).find(isManifest);
 */
export function isManifest(value: unknown): value is Manifest {
  return typeof value === "object" && value !== null && MANIFEST_BRAND in value;
}

function freezeManifest<V extends VarMap>(prefixes: string[], vars: V): Manifest<V> {
  return Object.freeze({
    [MANIFEST_BRAND]: true as const,
    prefixes: Object.freeze(prefixes),
    vars: Object.freeze(vars),
  });
}
