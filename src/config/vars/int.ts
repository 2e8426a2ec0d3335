import { z } from "zod";
import { defineVar, parseWith, type PresenceOf, type Var, type VarOptions } from "../var.js";

export interface IntOptions extends VarOptions<number | string> {
  min?: number;
  max?: number;
}

/**
 * An integer in decimal (`-12`, `0`, `300`); no exponent, hex or fraction.
 *
 * @example
 * const OPSKIT_DB_POOL_MAX = v.int({ min: 1, max: 1000, default: 10, description: "Pool size." });
 */
export function int<const O extends IntOptions = Record<never, never>>(
  options?: O,
): Var<number, PresenceOf<O>> {
  const { min, max } = options ?? {};
  const range =
    min !== undefined && max !== undefined
      ? { label: `int (${min}..${max})`, expected: `an integer from ${min} to ${max}` }
      : min !== undefined
        ? { label: `int (min ${min})`, expected: `an integer of at least ${min}` }
        : max !== undefined
          ? { label: `int (max ${max})`, expected: `an integer of at most ${max}` }
          : { label: "int", expected: "an integer" };
  const type = {
    kind: "int",
    ...range,
    parse: parseWith(intSchema(min, max)),
    format: (value: number) => String(value),
  };
  const problems =
    min !== undefined && max !== undefined && min > max
      ? [`its min (${min}) is above its max (${max})`]
      : [];
  return defineVar(type, options ?? {}, { problems });
}

/**
 * A TCP port, 0 to 65535; 0 asks the OS for any free port (handy in tests).
 *
 * @example
 * const PORT = v.port({ default: 3000, description: "HTTP port." });
 */
export function port<const O extends VarOptions<number | string> = Record<never, never>>(
  options?: O,
): Var<number, PresenceOf<O>> {
  return defineVar(
    {
      kind: "port",
      label: "port",
      expected: "a port number from 0 to 65535 (0 picks a free port)",
      parse: parseWith(intSchema(0, 65535)),
      format: (value: number) => String(value),
    },
    options ?? {},
  );
}

function intSchema(min: number | undefined, max: number | undefined) {
  let number = z.number().int().min(Number.MIN_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER);
  if (min !== undefined) number = number.min(min);
  if (max !== undefined) number = number.max(max);
  return z
    .string()
    .regex(/^[-+]?\d+$/)
    .transform(Number)
    .pipe(number);
}
