import { z } from "zod";
import { defineVar, type ParseResult, type PresenceOf, type Var, type VarOptions } from "../var.js";

export type SecretEncoding = "hex" | "base64" | "base64url";

export interface SecretOptions extends Omit<VarOptions<never>, "default" | "secret"> {
  encoding: SecretEncoding;
  /** Secrets have no default: a value in code is not a secret. */
  default?: never;
  /** The least number of decoded bytes; default 32 (256 bits). */
  minBytes?: number;
}

const FORMATS = {
  hex: { schema: z.hex(), name: "hex" },
  base64: { schema: z.base64(), name: "base64" },
  base64url: { schema: z.base64url(), name: "base64url" },
} as const;

/**
 * A key or token as hex or base64 with at least `minBytes` bytes once decoded.
 * Always secret: never echoed, never in `.env.example`, redacted from logs.
 * The value is the encoded text (`Buffer.from(value, "hex")` gives the bytes).
 *
 * @example
 * const BAKERY_SHOP_SECRET = v.secret({ encoding: "hex", minBytes: 32, description: "Webhook signing key." });
 */
export function secret<const O extends SecretOptions>(options: O): Var<string, PresenceOf<O>> {
  const format = FORMATS[options.encoding];
  const minBytes = options.minBytes ?? 32;
  const expected =
    options.encoding === "hex"
      ? `a hex-encoded secret of at least ${minBytes} bytes (${minBytes * 2} hex characters)`
      : `a ${format.name}-encoded secret of at least ${minBytes} bytes`;
  const parse = (text: string): ParseResult<string> => {
    if (!format.schema.safeParse(text).success)
      return { ok: false, detail: `not valid ${format.name}` };
    if (options.encoding === "hex" && text.length % 2 === 1) {
      return { ok: false, detail: "an odd number of hex characters" };
    }
    const bytes = Buffer.from(text, options.encoding).length;
    // A length tells an operator what is wrong without telling anyone the value.
    if (bytes < minBytes) return { ok: false, detail: `got ${bytes} bytes` };
    return { ok: true, value: text };
  };
  return defineVar(
    {
      kind: "secret",
      label: `secret (${format.name}, min ${minBytes} bytes)`,
      expected,
      parse,
      format: (value) => value,
    },
    options,
    { secret: true },
  );
}
