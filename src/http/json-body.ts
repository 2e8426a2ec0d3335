import type { Context } from "hono";
import type { z } from "zod";
import { OpskitError } from "../errors.js";

// `fatal`: bytes that are not UTF-8 are refused, not turned into U+FFFD
// (JSON is UTF-8 by RFC 8259; a replaced byte would be stored as something
// the client never sent).
const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Reads a JSON request body: refuses any other content type with 415
 * `UNSUPPORTED_MEDIA_TYPE`, then bytes that are not UTF-8, text that is not
 * JSON, and strings Postgres cannot store (a NUL, `\u0000`, in text and
 * jsonb; a lone surrogate, `\ud800`, in jsonb and as a silent U+FFFD in
 * text) with 400 `BAD_REQUEST`, then validates with `schema` (400 with
 * `details.issues`).
 *
 * Why the content type matters: a browser sends a cross-site form or
 * `fetch` with `text/plain`, `application/x-www-form-urlencoded` or
 * `multipart/form-data` without a CORS preflight. A JSON route that parsed
 * those would take writes from any web page its users visit; one that only
 * takes `application/json` (or `+json`) cannot be reached that way.
 *
 * @example
 * app.post("/api/orders", async (c) => {
 *   const order = await jsonBody(c, newOrderSchema);
 *   return c.json({ order: await insertOrder(pool, order) }, 201);
 * });
 */
export async function jsonBody<T>(c: Context, schema: z.ZodType<T>): Promise<T> {
  if (!isJsonContentType(c.req.header("content-type"))) {
    throw new OpskitError(
      "UNSUPPORTED_MEDIA_TYPE",
      "This route takes a JSON body: send it with Content-Type: application/json.",
    );
  }
  let text: string;
  try {
    text = utf8.decode(await c.req.arrayBuffer());
  } catch (error) {
    if (error instanceof OpskitError) throw error; // the body cap's 413
    throw new OpskitError("BAD_REQUEST", "The body is not valid UTF-8.");
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new OpskitError("BAD_REQUEST", "The body is not valid JSON.");
  }
  const badPath = unstorableStringPath(value);
  if (badPath !== undefined) {
    throw new OpskitError(
      "BAD_REQUEST",
      "The body holds a NUL character or a lone surrogate, which cannot be stored.",
      { details: { issues: [{ path: badPath, message: "NUL or lone surrogate" }] } },
    );
  }
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new OpskitError("BAD_REQUEST", "The request failed validation.", {
      details: {
        issues: result.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })),
      },
    });
  }
  return result.data;
}

/**
 * True for `application/json` and `application/<anything>+json`, with no
 * charset or a UTF-8 one (the only charset JSON has).
 *
 * @example
 * isJsonContentType("application/json; charset=utf-8"); // true
 * isJsonContentType("text/plain"); // false
 */
export function isJsonContentType(header: string | undefined): boolean {
  if (header === undefined) return false;
  const [type = "", ...params] = header.split(";");
  const mediaType = type.trim().toLowerCase();
  if (
    mediaType !== "application/json" &&
    !/^application\/[a-z0-9.!#$&^_-]+\+json$/.test(mediaType)
  ) {
    return false;
  }
  return params.every((param) => {
    const [name = "", value = ""] = param.split("=");
    if (name.trim().toLowerCase() !== "charset") return true;
    return /^"?utf-8"?$/i.test(value.trim());
  });
}

// In a `u` regex a surrogate pair is one code point; only a lone half is in category Cs.
const LONE_SURROGATE = /\p{Cs}/u;
const unstorable = (text: string) => text.includes("\u0000") || LONE_SURROGATE.test(text);

/** The dotted path of the first string (value or member name) Postgres cannot store, if any. */
function unstorableStringPath(root: unknown): string | undefined {
  // Iterative: JSON.parse accepts nesting deeper than the call stack.
  const stack: { value: unknown; path: string }[] = [{ value: root, path: "" }];
  while (stack.length > 0) {
    const { value, path } = stack.pop()!;
    if (typeof value === "string") {
      if (unstorable(value)) return path;
    } else if (Array.isArray(value)) {
      for (const [i, item] of value.entries())
        stack.push({ value: item, path: join(path, String(i)) });
    } else if (value !== null && typeof value === "object") {
      for (const [key, item] of Object.entries(value)) {
        if (unstorable(key)) return join(path, "(member name)");
        stack.push({ value: item, path: join(path, key) });
      }
    }
  }
  return undefined;
}

function join(path: string, part: string): string {
  return path === "" ? part : `${path}.${part}`;
}
