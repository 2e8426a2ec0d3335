import { z } from "zod";
import { defineVar, parseWith, type PresenceOf, type Var, type VarOptions } from "../var.js";

// z.coerce.boolean() turns "false" into true; stringbool with an explicit
// list rejects everything else (zod's default list also takes y/n, enabled…).
const schema = z.stringbool({
  truthy: ["true", "1", "yes", "on"],
  falsy: ["false", "0", "no", "off"],
  case: "insensitive",
});

export type BoolOptions = VarOptions<boolean | string>;

/**
 * A boolean: true/false, 1/0, yes/no, on/off, in any case; anything else is invalid.
 *
 * @example
 * const BAKERY_DRY_RUN = v.bool({ default: false, description: "Log pushes instead of sending them." });
 */
export function bool<const O extends BoolOptions = Record<never, never>>(
  options?: O,
): Var<boolean, PresenceOf<O>> {
  return defineVar(
    {
      kind: "bool",
      label: "bool",
      expected: "true or false (also 1/0, yes/no, on/off)",
      parse: parseWith(schema),
      format: (value: boolean) => String(value),
    },
    options ?? {},
  );
}
