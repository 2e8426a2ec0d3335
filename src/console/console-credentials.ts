import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { maskedSecretId } from "../log/index.js";
import {
  MIN_PASSWORD_LENGTH,
  parsePasswordHash,
  verifyPasswordHash,
  type PasswordHash,
} from "../auth/index.js";
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
  /** `name:role:password` entries; the password may be a hash from `opskit console hash-password`. */
  users?: readonly string[] | undefined;
}

export interface ConsoleCredentials {
  /** True when at least one login is configured (or a development token was made). */
  readonly configured: boolean;
  /** The token generated for development when none is configured (printed by the demo). */
  readonly developmentToken: string | undefined;
  verifyToken(token: string): ConsoleIdentity | undefined;
  verifyPassword(name: string, password: string): Promise<ConsoleIdentity | undefined>;
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
 *
 * A user's password may be given as an scrypt hash (`scrypt$N$r$p$salt$key`,
 * see password-hash.ts) so the plain password is in no environment. A name
 * with no hashed entry still costs one hash, so timing does not tell which
 * names have one.
 */
export function createConsoleCredentials(
  input: CredentialsInput,
  development: boolean,
): ConsoleCredentials {
  const tokens: { role: Role; digest: Buffer; id: string }[] = [];
  const users: { name: string; role: Role; digest: Buffer }[] = [];
  const hashedUsers = new Map<string, { role: Role; hash: PasswordHash }>();
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
    if (!name || !role || !isRole(role) || password.length < MIN_PASSWORD_LENGTH) continue;
    const hash = parsePasswordHash(password);
    if (hash) {
      if (!hashedUsers.has(name)) hashedUsers.set(name, { role, hash });
    } else users.push({ name, role, digest: digest(`${name}\0${password}`) });
    secrets.push(password, entry);
  }
  let developmentToken: string | undefined;
  const configured = tokens.length > 0 || users.length > 0 || hashedUsers.size > 0;
  if (!configured && development) {
    developmentToken = randomBytes(16).toString("hex");
    addToken("admin", developmentToken);
  }
  // Hashed with the cost of the first configured hash, for names without one.
  const first = hashedUsers.values().next();
  const decoy: PasswordHash | undefined = first.done
    ? undefined
    : { ...first.value.hash, salt: randomBytes(first.value.hash.salt.length) };
  return {
    configured: configured || developmentToken !== undefined,
    developmentToken,
    secrets,
    verifyToken(token) {
      const given = digest(token.trim());
      let found: (typeof tokens)[number] | undefined;
      for (const t of tokens) if (timingSafeEqual(t.digest, given) && !found) found = t;
      return found && { actor: `${found.role}-token:${found.id}`, role: found.role };
    },
    async verifyPassword(name, password) {
      const given = digest(`${name}\0${password}`);
      let found: ConsoleIdentity | undefined;
      for (const u of users)
        if (timingSafeEqual(u.digest, given) && !found) found = { actor: u.name, role: u.role };
      const hashed = hashedUsers.get(name);
      if (hashed) {
        if ((await verifyPasswordHash(hashed.hash, password)) && !found)
          found = { actor: name, role: hashed.role };
      } else if (decoy) await verifyPasswordHash(decoy, password);
      return found;
    },
  };
}
