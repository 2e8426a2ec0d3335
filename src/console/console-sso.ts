import { isRole, ROLES, type Role } from "./permissions.js";
import type { ConsoleIdentity } from "./console-credentials.js";

/**
 * Single sign-on: the console accepts the bearer tokens of the service's
 * identity provider in its login form, and maps the token's roles to a
 * console role (the strongest one wins). `verify` is the service's own
 * verifier (`opskit/auth`), so the console trusts exactly what the API does.
 */
export interface ConsoleSso {
  verify(token: string): Promise<{ subject: string; roles: readonly string[] }>;
  /** The identity provider's role → the console role it grants. */
  roles: ReadonlyMap<string, Role>;
}

/** A compact JWS: three base64url parts (what the login form tells apart from a console token). */
export function looksLikeJwt(token: string): boolean {
  return /^[\w-]+\.[\w-]+\.[\w-]*$/.test(token) && token.length < 16_384;
}

/** `idpRole:viewer|operator|admin` entries (OPSKIT_CONSOLE_SSO_ROLES) as a map; throws on a bad one. */
export function parseSsoRoles(entries: readonly string[]): Map<string, Role> {
  const roles = new Map<string, Role>();
  for (const entry of entries) {
    const at = entry.lastIndexOf(":");
    const role = entry.slice(at + 1);
    if (at <= 0 || !isRole(role)) {
      throw new Error(
        `"${entry.slice(0, 80)}" is not idpRole:${ROLES.join("|")} (e.g. manager:admin).`,
      );
    }
    roles.set(entry.slice(0, at), role);
  }
  return roles;
}

/**
 * The console identity of a valid token whose roles map to a console role:
 * `sso:<subject>` with the strongest mapped role. Undefined for a refused
 * token or one with no mapped role (the login form says "not valid").
 */
export async function ssoIdentity(
  sso: ConsoleSso,
  token: string,
): Promise<ConsoleIdentity | undefined> {
  let principal: { subject: string; roles: readonly string[] };
  try {
    principal = await sso.verify(token);
  } catch {
    return undefined;
  }
  const granted = principal.roles
    .map((r) => sso.roles.get(r))
    .filter((r): r is Role => r !== undefined);
  if (granted.length === 0) return undefined;
  const role = ROLES[Math.max(...granted.map((r) => ROLES.indexOf(r)))]!;
  return { actor: `sso:${principal.subject}`.slice(0, 200), role };
}
