import { z } from "zod";
import { OpskitError } from "../../errors.js";
import { defineVar, parseWith, type PresenceOf, type Var, type VarOptions } from "../var.js";

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as const;
type Unit = keyof typeof UNIT_MS;

const EXPECTED = "a duration like 500ms, 5s, 2m or 1h (a bare number is milliseconds)";

const schema = z
  .string()
  .regex(/^\d+(ms|s|m|h)?$/)
  .transform((text) => {
    const match = /^(\d+)(ms|s|m|h)?$/.exec(text);
    return Number(match?.[1]) * UNIT_MS[(match?.[2] ?? "ms") as Unit];
  })
  .pipe(z.number().int().max(Number.MAX_SAFE_INTEGER));

const parse = parseWith(schema);

/**
 * Parses `500ms`, `5s`, `2m`, `1h` or a bare integer (milliseconds) into milliseconds.
 * Throws `CONFIG_INVALID` (without the text) when it is anything else.
 *
 * @example
 * parseDuration("2m"); // 120000
 */
export function parseDuration(text: string): number {
  const result = parse(text.trim());
  if (!result.ok) throw new OpskitError("CONFIG_INVALID", `Not a duration: expected ${EXPECTED}.`);
  return result.value;
}

/**
 * Milliseconds as the largest unit that divides them exactly, so it parses back the same.
 *
 * @example
 * formatDuration(5000); // "5s"
 */
export function formatDuration(ms: number): string {
  for (const unit of ["h", "m", "s"] as const) {
    if (ms !== 0 && ms % UNIT_MS[unit] === 0) return `${ms / UNIT_MS[unit]}${unit}`;
  }
  return `${ms}ms`;
}

export type DurationOptions = VarOptions<number | string>;

/**
 * A duration; the config value is a number of milliseconds.
 *
 * @example
 * const OPSKIT_SHUTDOWN_TIMEOUT = v.duration({ default: "25s", description: "Shutdown budget." });
 */
export function duration<const O extends DurationOptions = Record<never, never>>(
  options?: O,
): Var<number, PresenceOf<O>> {
  return defineVar(
    { kind: "duration", label: "duration", expected: EXPECTED, parse, format: formatDuration },
    options ?? {},
  );
}
