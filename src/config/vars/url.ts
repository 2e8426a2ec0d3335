import { z } from "zod";
import { defineVar, parseWith, type PresenceOf, type Var, type VarOptions } from "../var.js";

export interface UrlOptions extends VarOptions<string> {
  /** Accepted schemes without `://`, e.g. `["postgres", "postgresql"]`; default any. */
  protocols?: readonly string[];
}

/**
 * An absolute URL (`scheme://…`), optionally limited to some schemes. The
 * value is the text as given. A password in it is never shown: examples and
 * defaults are masked in reports and docs, and `secretValues` includes it.
 *
 * @example
 * const DATABASE_URL = v.url({ protocols: ["postgres", "postgresql"], secret: true, optional: true, description: "…" });
 */
export function url<const O extends UrlOptions = Record<never, never>>(
  options?: O,
): Var<string, PresenceOf<O>> {
  const protocols = options?.protocols;
  const protocol = protocols?.length
    ? new RegExp(`^(${protocols.map((p) => p.replace(/[.+]/g, "\\$&")).join("|")})$`)
    : undefined;
  // z.url() alone takes `postgres:x`; an env URL always has an authority part.
  const schema = z
    .string()
    .regex(/^[a-z][a-z0-9+.-]*:\/\//i)
    .pipe(protocol ? z.url({ protocol }) : z.url());
  return defineVar(
    {
      kind: "url",
      label: protocols?.length ? `url (${protocols.join(", ")})` : "url",
      expected: protocols?.length
        ? `a URL starting with ${protocols.map((p) => `${p}://`).join(" or ")}`
        : "an absolute URL like https://host/path",
      parse: parseWith(schema),
      format: (value) => value,
    },
    options ?? {},
  );
}
