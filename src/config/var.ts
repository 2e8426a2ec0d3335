import type { z } from "zod";

/** Marks objects built by `v.*()` so a manifest can refuse anything else. */
export const VAR_BRAND: unique symbol = Symbol.for("opskit.config.var") as never;

/**
 * A parse outcome. A failure carries no message from the parser on purpose:
 * parsers (zod's included) like to quote the input, and the input may be a
 * secret. `detail` is written by opskit and never holds the value (at most a
 * length or an item position).
 */
export type ParseResult<T> = { ok: true; value: T } | { ok: false; detail?: string };

/** What a variable's type knows: how to read env text, say what it expects, write a value back. */
export interface VarType<T> {
  /** Machine-readable type: `string`, `int`, `port`, `url`, `enum`, `bool`, `duration`, `secret`, `list`, or a custom name. */
  readonly kind: string;
  /** Short label for docs and `.env.example`: `int (1..1000)`, `enum (api|worker)`. */
  readonly label: string;
  /** What a valid value looks like, as a phrase: `an integer from 1 to 1000`. */
  readonly expected: string;
  /** For lists: the item type. */
  readonly item?: VarType<unknown> | undefined;
  /** Parses trimmed, non-empty env text. */
  parse(text: string): ParseResult<T>;
  /** Writes a value back as env text (defaults in `.env.example` and docs). */
  format(value: T): string;
}

/** `required`: must be set; `optional`: may be unset (value `undefined`); `default`: unset gives the default. */
export type Presence = "required" | "optional" | "default";

/** A declared variable: its type plus what the manifest says about it. */
export interface Var<T = unknown, P extends Presence = Presence> extends VarType<T> {
  readonly [VAR_BRAND]: true;
  readonly presence: P;
  readonly description: string | undefined;
  readonly example: string | undefined;
  /** The parsed default (when `presence` is `default`). */
  readonly default: T | undefined;
  /** The default as env text. */
  readonly defaultText: string | undefined;
  readonly secret: boolean;
  /** Problems found while building the variable; the manifest reports them with the name. */
  readonly problems: readonly string[];
}

/** Options every `v.*()` builder takes. `D` is what a default may be given as. */
export interface VarOptions<D> {
  /** One or two sentences: what it is for, what happens when unset. */
  description?: string;
  /** A realistic value (validated; for secrets never shown, URL passwords masked). */
  example?: string;
  /** May be left unset; the value is then `undefined`. */
  optional?: boolean;
  /** Used when unset: a typed value or its env text (`"5s"`). Validated at definition. */
  default?: D;
  /** Never echo the value; hand it to the logger's redaction. */
  secret?: boolean;
}

/** The presence implied by a builder's options, at the type level. */
export type PresenceOf<O> = O extends { default: NonNullable<unknown> }
  ? "default"
  : O extends { optional: true }
    ? "optional"
    : "required";

/** The config value type of a variable: `T`, or `T | undefined` when optional without default. */
export type ValueOf<V> =
  V extends Var<infer T, infer P> ? (P extends "optional" ? T | undefined : T) : never;

/**
 * A parser from a zod schema, dropping zod's messages (see `ParseResult`).
 *
 * @example
 * const parse = parseWith(z.string().regex(/^[a-z]+$/));
 */
export function parseWith<T>(schema: z.ZodType<T>): (text: string) => ParseResult<T> {
  return (text) => {
    const result = schema.safeParse(text);
    return result.success ? { ok: true, value: result.data } : { ok: false };
  };
}

/**
 * Builds a variable from a type and the options given to `v.*()`. Checks the
 * default and the example against the type now, so a bad manifest fails at
 * definition (reported by `defineManifest` with the variable's name).
 *
 * @example
 * const slug = defineVar(
 *   { kind: "slug", label: "slug", expected: "a slug", parse: parseWith(z.string().regex(/^[a-z-]+$/)), format: (s: string) => s },
 *   { description: "URL slug of the shop." },
 * );
 */
export function defineVar<T, P extends Presence>(
  type: VarType<T>,
  options: VarOptions<unknown>,
  extra: { secret?: boolean; problems?: string[] } = {},
): Var<T, P> {
  const problems: string[] = [...(extra.problems ?? [])];
  // A custom schema's transform may throw, with the value in its message.
  const parse = (text: string): ParseResult<T> => {
    try {
      return type.parse(text);
    } catch {
      return { ok: false };
    }
  };
  const secret = options.secret ?? extra.secret ?? false;
  let value: T | undefined;
  if (options.default !== undefined) {
    if (secret) problems.push("a secret cannot have a default (a value in code is not a secret)");
    // A default is given typed (3000) or as env text ("5s"); both go through
    // the parser so the stored default is exactly what the env text would give.
    const text = defaultText(type, options.default);
    const parsed = text === undefined || text === "" ? undefined : parse(text);
    if (parsed?.ok) value = parsed.value;
    else problems.push(`its default is not valid: expected ${type.expected}`);
  }
  if (options.example !== undefined && options.example.trim() !== "") {
    if (!parse(options.example.trim()).ok) {
      problems.push(`its example is not valid: expected ${type.expected}`);
    }
  }
  const presence: Presence =
    options.default !== undefined ? "default" : options.optional ? "optional" : "required";
  return Object.freeze({
    kind: type.kind,
    label: type.label,
    expected: type.expected,
    item: type.item,
    parse,
    format: (v: T) => type.format(v),
    [VAR_BRAND]: true as const,
    presence: presence as P,
    description: options.description,
    example: options.example,
    default: value,
    defaultText: value === undefined ? undefined : type.format(value),
    secret,
    problems: Object.freeze(problems),
  });
}

function defaultText<T>(type: VarType<T>, given: unknown): string | undefined {
  if (typeof given === "string") return given.trim();
  try {
    return type.format(given as T).trim();
  } catch {
    return undefined; // reported as an invalid default
  }
}

/** True for variables built by `v.*()`. */
export function isVar(value: unknown): value is Var {
  return typeof value === "object" && value !== null && VAR_BRAND in value;
}
