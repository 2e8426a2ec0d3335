import { randomBytes } from "node:crypto";
import { SignJWT } from "jose";
import { OpskitError } from "../errors.js";

/** Issuer and audience of development tokens when none is configured. */
export const DEVELOPMENT_ISSUER = "opskit-development";
export const DEVELOPMENT_AUDIENCE = "opskit-development";

// One random secret per process, made on first use: tokens minted here are
// accepted only by this process (the auth part uses the same secret when no
// key is configured) and die with it. Nothing guessable, nothing on disk.
let secret: Uint8Array | undefined;

/** The process's development signing secret (what the auth part verifies with in development). */
export function developmentSecret(): Uint8Array {
  return (secret ??= randomBytes(32));
}

/** The configuration a development token depends on (the service's config fits). */
export interface DevelopmentTokenConfig {
  NODE_ENV: string;
  OPSKIT_AUTH_JWT_SECRET?: string | undefined;
  OPSKIT_AUTH_JWKS_URL?: string | undefined;
  OPSKIT_AUTH_ISSUER?: string | undefined;
  OPSKIT_AUTH_AUDIENCE?: readonly string[] | undefined;
  OPSKIT_AUTH_ROLES_CLAIM?: string | undefined;
}

export interface DevelopmentTokenOptions {
  /** Roles put in the roles claim. */
  roles: readonly string[];
  /** `sub`; default `dev-<first role>`. */
  subject?: string;
  /** Lifetime; default 1 h, at most 24 h. */
  ttlSeconds?: number;
}

/**
 * Mints a short-lived HS256 token that the service's auth part accepts, for
 * local development when no key is configured: the demo prints one per role
 * at start. Refused (`AUTH_CONFIG_INVALID`) outside `NODE_ENV` development or
 * test, and whenever a real key is configured (then tokens come from the
 * identity service, and the part would not accept these).
 *
 * @example
 * const token = await mintDevelopmentToken(config, { roles: ["manager"] });
 * console.log(`curl -H "Authorization: Bearer ${token}" http://localhost:3000/api/me`);
 */
export async function mintDevelopmentToken(
  config: DevelopmentTokenConfig,
  options: DevelopmentTokenOptions,
): Promise<string> {
  if (!isDevelopmentAuth(config)) {
    throw new OpskitError(
      "AUTH_CONFIG_INVALID",
      config.NODE_ENV === "development" || config.NODE_ENV === "test"
        ? "A key is configured (OPSKIT_AUTH_JWT_SECRET or OPSKIT_AUTH_JWKS_URL): get tokens from the identity service, not mintDevelopmentToken."
        : `Development tokens are minted only when NODE_ENV is development or test (it is ${config.NODE_ENV}); configure OPSKIT_AUTH_JWT_SECRET or OPSKIT_AUTH_JWKS_URL.`,
    );
  }
  const ttl = options.ttlSeconds ?? 3600;
  if (!(ttl > 0 && ttl <= 86_400)) {
    throw new OpskitError("AUTH_CONFIG_INVALID", "ttlSeconds must be from 1 to 86400.");
  }
  const claimPath = (config.OPSKIT_AUTH_ROLES_CLAIM ?? "roles").split(".");
  const claims: Record<string, unknown> = {};
  let node = claims;
  for (const [i, part] of claimPath.entries()) {
    if (i === claimPath.length - 1) node[part] = [...options.roles];
    else node = node[part] = {};
  }
  return new SignJWT(claims)
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(options.subject ?? `dev-${options.roles[0] ?? "user"}`)
    .setIssuer(config.OPSKIT_AUTH_ISSUER ?? DEVELOPMENT_ISSUER)
    .setAudience(config.OPSKIT_AUTH_AUDIENCE?.[0] ?? DEVELOPMENT_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(`${ttl}s`)
    .sign(developmentSecret());
}

/** True when the auth part runs on the development secret: no key configured, development or test. */
export function isDevelopmentAuth(config: DevelopmentTokenConfig): boolean {
  return (
    (config.NODE_ENV === "development" || config.NODE_ENV === "test") &&
    !config.OPSKIT_AUTH_JWT_SECRET &&
    !config.OPSKIT_AUTH_JWKS_URL
  );
}
