import type { z } from "zod";
import { defineVar, parseWith, type PresenceOf, type Var, type VarOptions } from "../var.js";

export interface CustomOptions<T> extends VarOptions<T | string> {
  /** Parses the trimmed env text; its messages are never shown (they may quote the value). */
  schema: z.ZodType<T>;
  /** Short label for docs, e.g. `email`. */
  type: string;
  /** What a valid value looks like, e.g. `an email address`. Shown instead of the schema's messages. */
  expected: string;
  /** Writes a value back as env text (for a typed default); default `String(value)`. */
  format?: (value: T) => string;
}

/**
 * A variable of any type a zod schema can parse from a string.
 *
 * @example
 * const BAKERY_ADMIN_EMAIL = v.custom({ schema: z.email(), type: "email", expected: "an email address", description: "…" });
 */
export function custom<T, const O extends CustomOptions<T> = CustomOptions<T>>(
  options: O & CustomOptions<T>,
): Var<T, PresenceOf<O>> {
  return defineVar(
    {
      kind: options.type,
      label: options.type,
      expected: options.expected,
      parse: parseWith(options.schema),
      format: options.format ?? ((value: T) => String(value)),
    },
    options,
  );
}
