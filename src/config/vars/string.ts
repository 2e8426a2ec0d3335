import { z } from "zod";
import { defineVar, parseWith, type PresenceOf, type Var, type VarOptions } from "../var.js";

export type StringOptions = VarOptions<string>;

/**
 * Any non-empty text (trimmed).
 *
 * @example
 * const HOST = v.string({ default: "0.0.0.0", description: "Interface to listen on." });
 */
export function string<const O extends StringOptions = Record<never, never>>(
  options?: O,
): Var<string, PresenceOf<O>> {
  return defineVar(
    {
      kind: "string",
      label: "string",
      expected: "any non-empty text",
      parse: parseWith(z.string()),
      format: (value) => value,
    },
    options ?? {},
  );
}
