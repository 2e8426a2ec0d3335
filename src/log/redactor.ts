import { maskUrlCredentials } from "./mask-url-credentials.js";
import { createSecretKeyMatcher } from "./secret-keys.js";

/** What replaces a secret value, or the whole value under a secret key. */
export const REDACTED = "[REDACTED]";

/**
 * Registered secret values shorter than this are ignored: replacing every
 * `"on"` or `"1"` in every string would wreck the logs without protecting
 * anything worth the name.
 */
export const MIN_SECRET_LENGTH = 4;

const CIRCULAR = "[Circular]";
const TOO_DEEP = "[Too deep]";
// Deep enough for any real payload or cause chain; stops a pathological
// structure (a long linked list) from overflowing the stack.
const MAX_DEPTH = 100;
// Keys are low-cardinality in practice, but a logged map keyed by user input
// must not grow the cache without bound.
const KEY_CACHE_LIMIT = 10_000;

const PLAIN_KEY = 0;
const SECRET_KEY = 1;
const KEY_WITH_SECRET = 2;
type KeyKind = typeof PLAIN_KEY | typeof SECRET_KEY | typeof KEY_WITH_SECRET;

export interface RedactorOptions {
  /** Secret values to replace wherever they appear inside a string. */
  secrets?: Iterable<string>;
  /** More secret keys, on top of `DEFAULT_SECRET_KEYS`. */
  keys?: Iterable<string>;
}

export interface Redactor {
  /**
   * A copy of `value` that is safe to log: values under secret keys replaced,
   * secret values and URL passwords masked inside every string, errors turned
   * into plain objects (type, message, stack, code, own properties, cause),
   * cycles cut. The input is never modified; unchanged parts are shared.
   */
  redact(value: unknown): unknown;
  /** `text` with the secret values and URL passwords masked. */
  redactString(text: string): string;
  /** Registers more secret values (for example once the config is loaded). */
  addSecrets(values: Iterable<string>): void;
  /** Replaces the registered secret values (for example after a rotation). */
  setSecrets(values: Iterable<string>): void;
}

/**
 * Builds a redactor. pino's own `redact` option cannot do this job: its paths
 * are case-sensitive, a `*` matches exactly one segment (no any-depth
 * wildcard), it does not look inside strings, and it does not reach into
 * errors or child bindings. So this walks the value itself, once, copying
 * only what it changes.
 *
 * @example
 * const redactor = createRedactor({ secrets: [process.env.API_TOKEN ?? ""] });
 * redactor.redact({ headers: { Authorization: "Bearer x" } });
 * // { headers: { Authorization: "[REDACTED]" } }
 */
export function createRedactor(options: RedactorOptions = {}): Redactor {
  const isSecretKey = createSecretKeyMatcher(options.keys);
  const keyKinds = new Map<string, KeyKind>();
  // Longest first, so a secret that contains another is masked whole.
  let secrets: string[] = [];
  let shortest = Infinity;

  function storeSecrets(values: Iterable<string>): void {
    const unique = new Set(
      [...values].filter((v) => typeof v === "string" && v.length >= MIN_SECRET_LENGTH),
    );
    secrets = [...unique].sort((a, b) => b.length - a.length);
    shortest = secrets.reduce((min, s) => Math.min(min, s.length), Infinity);
    keyKinds.clear();
  }

  function redactString(text: string): string {
    let out = text;
    if (out.length >= shortest) {
      for (const secret of secrets) {
        if (out.includes(secret)) out = out.replaceAll(secret, REDACTED);
      }
    }
    return maskUrlCredentials(out);
  }

  function keyKind(key: string): KeyKind {
    let kind = keyKinds.get(key);
    if (kind === undefined) {
      if (isSecretKey(key)) kind = SECRET_KEY;
      else kind = redactString(key) === key ? PLAIN_KEY : KEY_WITH_SECRET;
      if (keyKinds.size >= KEY_CACHE_LIMIT) keyKinds.clear();
      keyKinds.set(key, kind);
    }
    return kind;
  }

  // The objects from the root to the one being walked: a short array beats a
  // Set here (depth is small, and a log call must stay cheap). Reused across
  // calls; every walk leaves it empty.
  const path: object[] = [];

  function walk(value: unknown, depth: number): unknown {
    if (typeof value === "string") return redactString(value);
    if (typeof value !== "object" || value === null) return value;
    if (path.includes(value)) return CIRCULAR;
    if (depth >= MAX_DEPTH) return TOO_DEEP;
    path.push(value);
    try {
      if (Array.isArray(value)) return walkArray(value, depth);
      const proto: unknown = Object.getPrototypeOf(value);
      if (proto === Object.prototype || proto === null) {
        return walkObject(value as Record<string, unknown>, depth);
      }
      if (value instanceof Error || Object.prototype.toString.call(value) === "[object Error]") {
        return errorFields(value as Error, depth);
      }
      // Serialised by JSON.stringify without any of their own fields (Map,
      // Set, RegExp print `{}`), or as bytes/dates that cannot hold a key.
      if (
        value instanceof Date ||
        value instanceof Map ||
        value instanceof Set ||
        value instanceof RegExp ||
        ArrayBuffer.isView(value)
      ) {
        return value;
      }
      const toJSON = (value as { toJSON?: unknown }).toJSON;
      // A URL object's JSON form is its href, password included.
      if (typeof toJSON === "function") return walk(toJSON.call(value), depth + 1);
      // Any other class instance prints its own enumerable fields: walk those.
      return walkObject(value as Record<string, unknown>, depth);
    } finally {
      path.pop();
    }
  }

  function walkArray(array: readonly unknown[], depth: number): unknown {
    let out: unknown[] | undefined;
    for (let i = 0; i < array.length; i++) {
      const item = array[i];
      const next = walk(item, depth + 1);
      if (out === undefined && next !== item) out = array.slice(0, i);
      if (out !== undefined) out.push(next);
    }
    return out ?? array;
  }

  function walkObject(obj: Record<string, unknown>, depth: number): unknown {
    const keys = Object.keys(obj);
    let out: Record<string, unknown> | undefined;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as string;
      const item = obj[key];
      const kind = keyKind(key);
      const next = kind === SECRET_KEY ? censor(item) : walk(item, depth + 1);
      const outKey = kind === KEY_WITH_SECRET ? redactString(key) : key;
      if (out === undefined && (next !== item || outKey !== key)) {
        out = {};
        for (let j = 0; j < i; j++) setKey(out, keys[j] as string, obj[keys[j] as string]);
      }
      if (out !== undefined) setKey(out, outKey, next);
    }
    return out ?? obj;
  }

  function errorFields(error: Error, depth: number): Record<string, unknown> {
    const out: Record<string, unknown> = {
      type: errorType(error),
      message: redactString(String(error.message)),
    };
    for (const key of Object.keys(error)) {
      if (Object.hasOwn(out, key) || key === "stack") continue;
      const item = (error as unknown as Record<string, unknown>)[key];
      const kind = keyKind(key);
      const outKey = kind === KEY_WITH_SECRET ? redactString(key) : key;
      setKey(out, outKey, kind === SECRET_KEY ? censor(item) : walk(item, depth + 1));
    }
    // `code` may live on the prototype (a getter), which Object.keys skips.
    const code = (error as { code?: unknown }).code;
    if (!Object.hasOwn(out, "code") && code !== undefined) out.code = walk(code, depth + 1);
    if (typeof error.stack === "string") out.stack = redactString(error.stack);
    // `cause` (from `new Error(m, { cause })`) and AggregateError's `errors`
    // are own but not enumerable, so Object.keys above does not see them.
    if (!Object.hasOwn(out, "cause") && error.cause !== undefined) {
      out.cause = walk(error.cause, depth + 1);
    }
    const errors = (error as { errors?: unknown }).errors;
    if (!Object.hasOwn(out, "errors") && Array.isArray(errors)) {
      out.errors = walk(errors, depth + 1);
    }
    return out;
  }

  storeSecrets(options.secrets ?? []);
  return {
    redact: (value) => walk(value, 0),
    redactString,
    addSecrets: (values) => storeSecrets([...secrets, ...values]),
    setSecrets: (values) => storeSecrets(values),
  };
}

function censor(value: unknown): unknown {
  return value === undefined || value === null ? value : REDACTED;
}

function errorType(error: Error): string {
  const ctor = (error as { constructor?: { name?: unknown } }).constructor;
  return typeof ctor?.name === "string" && ctor.name !== "" ? ctor.name : String(error.name);
}

// `out.__proto__ = x` would set the prototype instead of a field; JSON.parse
// can produce such a key, so it is defined, not assigned.
function setKey(out: Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__") {
    Object.defineProperty(out, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  } else {
    out[key] = value;
  }
}

/**
 * One-shot redaction with the default secret keys and the given secret
 * values (see `createRedactor` to reuse the setup across calls).
 *
 * @example
 * redact({ user: "ann", password: "pw", note: "key is s3cr3t-v4lue" }, ["s3cr3t-v4lue"]);
 * // { user: "ann", password: "[REDACTED]", note: "key is [REDACTED]" }
 */
export function redact(value: string, secrets?: Iterable<string>): string;
export function redact(value: unknown, secrets?: Iterable<string>): unknown;
export function redact(value: unknown, secrets: Iterable<string> = []): unknown {
  return createRedactor({ secrets }).redact(value);
}
