import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { maskedSecretId } from "../log/index.js";
import { isRole, type Role } from "./permissions.js";

export { maskedSecretId };

/** Who a successful login is: the audit log's actor and the role. */
export interface ConsoleIdentity {
  actor: string;
  role: Role;
}

/** The logins a console accepts (from the config manifest's secret variables). */
export interface CredentialsInput {
  adminTokens?: readonly string[] | undefined;
  operatorTokens?: readonly string[] | undefined;
  viewerTokens?: readonly string[] | undefined;
  /** `name:role:password` entries. */
  users?: readonly string[] | undefined;
}

export interface ConsoleCredentials {
  /** True when at least one login is configured (or a development token was made). */
  readonly configured: boolean;
  /** The token generated for development when none is configured (printed by the demo). */
  readonly developmentToken: string | undefined;
  verifyToken(token: string): ConsoleIdentity | undefined;
  verifyPassword(name: string, password: string): ConsoleIdentity | undefined;
  /** Every secret text, for the page scrubber (tokens and passwords alone). */
  readonly secrets: readonly string[];
}

const digest = (text: string): Buffer => createHash("sha256").update(text, "utf8").digest();

/**
 * Parses the configured logins. Comparisons are made between SHA-256
 * digests with `timingSafeEqual`, against every entry (no early exit), so
 * the answer time says nothing about which part matched. With nothing
 * configured and `development` set, one admin token is generated for this
 * process (the demo prints it); outside development nothing is generated and
 * the console refuses every page until a login is configured.
 */
export function createConsoleCredentials(
  input: CredentialsInput,
  development: boolean,
): ConsoleCredentials {
  const tokens: { role: Role; digest: Buffer; id: string }[] = [];
  const users: { name: string; role: Role; digest: Buffer }[] = [];
  const secrets: string[] = [];
  const addToken = (role: Role, token: string) => {
    tokens.push({ role, digest: digest(token), id: maskedSecretId(token).slice(7) });
    secrets.push(token);
  };
  for (const token of input.adminTokens ?? []) addToken("admin", token);
  for (const token of input.operatorTokens ?? []) addToken("operator", token);
  for (const token of input.viewerTokens ?? []) addToken("viewer", token);
  for (const entry of input.users ?? []) {
    const [name, role, ...rest] = entry.split(":");
    const password = rest.join(":");
    if (!name || !role || !isRole(role) || password.length < 12) continue;
    users.push({ name, role, digest: digest(`${name}\0${password}`) });
    secrets.push(password, entry);
  }
  let developmentToken: string | undefined;
  if (tokens.length === 0 && users.length === 0 && development) {
    developmentToken = randomBytes(16).toString("hex");
    addToken("admin", developmentToken);
  }
  return {
    configured: tokens.length > 0 || users.length > 0,
    developmentToken,
    secrets,
    verifyToken(token) {
      const given = digest(token.trim());
      let found: (typeof tokens)[number] | undefined;
      for (const t of tokens) if (timingSafeEqual(t.digest, given) && !found) found = t;
      return found && { actor: `${found.role}-token:${found.id}`, role: found.role };
    },
    verifyPassword(name, password) {
      const given = digest(`${name}\0${password}`);
      let found: (typeof users)[number] | undefined;
      for (const u of users) if (timingSafeEqual(u.digest, given) && !found) found = u;
      return found && { actor: found.name, role: found.role };
    },
  };
}
