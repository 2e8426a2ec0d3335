import { maskUrlCredentials } from "../log/index.js";
import type { Var } from "./var.js";

/** What reports, docs and `.env.example` show about a variable; safe to print. */
export interface VarDescription {
  name: string;
  /** Short type label: `port`, `enum (api|worker)`, `list of url`. */
  type: string;
  /** What a valid value looks like: `a port number from 0 to 65535 (0 picks a free port)`. */
  expected: string;
  required: boolean;
  /** The default as env text; absent when none (and always for secrets). */
  default?: string;
  secret: boolean;
  description?: string;
  /** The example, URL passwords masked; absent for secrets other than URLs. */
  example?: string;
}

/**
 * Describes a variable for people: the one place that decides what of a
 * declaration may be shown (never a secret's example or default; URL
 * passwords masked everywhere, secret or not).
 *
 * @example
 * describeVar("PORT", baseManifest.vars.PORT).expected; // "a port number from 0 to 65535 (0 picks a free port)"
 */
export function describeVar(name: string, declared: Var): VarDescription {
  const description: VarDescription = {
    name,
    type: declared.label,
    expected: declared.expected,
    required: declared.presence === "required",
    secret: declared.secret,
  };
  if (declared.defaultText !== undefined && !declared.secret) {
    description.default = maskUrlCredentials(declared.defaultText);
  }
  if (declared.description) description.description = declared.description;
  const example = safeExample(declared);
  if (example !== undefined) description.example = example;
  return description;
}

function safeExample(declared: Var): string | undefined {
  const example = declared.example?.trim();
  if (!example) return undefined;
  if (!declared.secret) return maskUrlCredentials(example);
  // A secret URL's shape (scheme, host, database) helps and is not the secret;
  // only its password is, and a URL without userinfo has none. A query may
  // hold a token too: such an example is not shown.
  if (declared.kind === "url" && !example.includes("?")) {
    const masked = maskUrlCredentials(example);
    return masked !== example || !example.includes("@") ? masked : undefined;
  }
  return undefined;
}
