import { z } from "zod";
import { defineVar, parseWith, type PresenceOf, type Var, type VarOptions } from "../var.js";

/**
 * One of a fixed set of values, matched exactly (case-sensitive).
 *
 * @example
 * const OPSKIT_ROLE = v.enum(["api", "worker", "all"], { default: "all", description: "What this process runs." });
 */
export function oneOf<
  const V extends readonly [string, ...string[]],
  const O extends VarOptions<V[number]> = Record<never, never>,
>(values: V, options?: O): Var<V[number], PresenceOf<O>> {
  return defineVar(
    {
      kind: "enum",
      label: `enum (${values.join("|")})`,
      expected: `one of: ${values.join(", ")}`,
      parse: parseWith(z.enum(values as unknown as [V[number], ...V[number][]])),
      format: (value) => value,
    },
    options ?? {},
    { problems: values.length === 0 ? ["it lists no values"] : [] },
  );
}
