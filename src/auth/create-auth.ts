import type { MiddlewareHandler } from "hono";
import { OpskitError } from "../errors.js";
import type { HealthCheck } from "../health/index.js";
import type { Logger } from "../log/index.js";
import { authenticate } from "./auth-middleware.js";
import { createBasicCredentials, type BasicCredentials } from "./basic-credentials.js";
import {
  DEVELOPMENT_AUDIENCE,
  DEVELOPMENT_ISSUER,
  developmentSecret,
  isDevelopmentAuth,
  type DevelopmentTokenConfig,
} from "./development-tokens.js";
import { createJwtVerifier, type JwtVerifier } from "./jwt-verifier.js";
import type { KeySource } from "./key-source.js";
import { hsSecretSource } from "./key-sources/hs-secret.js";
import { jwksSource, type JwksSource } from "./key-sources/jwks.js";
import type { AuthEnv } from "./principal.js";

/** The `OPSKIT_AUTH_*` values `createAuth` reads (the service's config fits). */
export interface AuthConfig extends DevelopmentTokenConfig {
  OPSKIT_AUTH_CLOCK_TOLERANCE?: number | undefined;
  OPSKIT_AUTH_BASIC_USERS?: readonly string[] | undefined;
}

export interface CreateAuthOptions {
  log?: Logger;
  /** The realm in `WWW-Authenticate`; default `api`. */
  realm?: string;
  /** JWKS tuning (tests shorten the cooldown). */
  jwks?: { cooldownMs?: number; cacheMaxAgeMs?: number; timeoutMs?: number; now?: () => number };
}

/** A service's authentication, made from its configuration. */
export interface Auth {
  /** `keys`: a secret or JWKS is configured; `development`: the process's development secret; `none`: no bearer tokens. */
  readonly mode: "keys" | "development" | "none";
  readonly verifier: JwtVerifier | undefined;
  readonly basic: BasicCredentials | undefined;
  readonly jwks: JwksSource | undefined;
  /** Attaches the principal (mount before the routes). */
  middleware(): MiddlewareHandler<AuthEnv>;
  /** Readiness checks (the JWKS endpoint, when one is configured). */
  checks(): HealthCheck[];
}

/**
 * Builds the verifier, Basic credentials and middleware from `OPSKIT_AUTH_*`.
 * With neither a secret nor a JWKS URL in development or test, bearer tokens
 * are verified with the process's development secret (what
 * `mintDevelopmentToken` signs with); in production there are then no bearer
 * tokens at all and every guarded route answers 401.
 *
 * @example
 * const auth = createAuth(config, { log });
 * app.use("*", auth.middleware());
 * app.get("/api/me", requireAuth(), (c) => c.json(c.get("principal")));
 */
export function createAuth(config: AuthConfig, options: CreateAuthOptions = {}): Auth {
  const keys: KeySource[] = [];
  let jwks: JwksSource | undefined;
  const development = isDevelopmentAuth(config);
  if (config.OPSKIT_AUTH_JWT_SECRET) keys.push(hsSecretSource(config.OPSKIT_AUTH_JWT_SECRET));
  if (config.OPSKIT_AUTH_JWKS_URL) {
    const url = new URL(config.OPSKIT_AUTH_JWKS_URL);
    const loopback = ["127.0.0.1", "localhost", "[::1]"].includes(url.hostname);
    if (url.protocol !== "https:" && !loopback) {
      throw new OpskitError(
        "AUTH_CONFIG_INVALID",
        `OPSKIT_AUTH_JWKS_URL must be https (plain http is allowed only to a loopback host); got ${url.protocol}//${url.host}.`,
      );
    }
    jwks = jwksSource({ url, ...options.jwks });
    keys.push(jwks);
  }
  if (development) keys.push(hsSecretSource(developmentSecret()));
  const toleranceMs = config.OPSKIT_AUTH_CLOCK_TOLERANCE;
  const verifier = keys.length
    ? createJwtVerifier({
        keys,
        issuer: config.OPSKIT_AUTH_ISSUER ?? (development ? DEVELOPMENT_ISSUER : undefined),
        audience: config.OPSKIT_AUTH_AUDIENCE?.length
          ? config.OPSKIT_AUTH_AUDIENCE
          : development
            ? DEVELOPMENT_AUDIENCE
            : undefined,
        rolesClaim: config.OPSKIT_AUTH_ROLES_CLAIM ?? "roles",
        ...(toleranceMs === undefined ? {} : { clockToleranceSeconds: toleranceMs / 1000 }),
      })
    : undefined;
  const basic = config.OPSKIT_AUTH_BASIC_USERS?.length
    ? createBasicCredentials({ users: config.OPSKIT_AUTH_BASIC_USERS })
    : undefined;
  const middleware = authenticate({
    verifier,
    basic,
    log: options.log,
    ...(options.realm ? { realm: options.realm } : {}),
  });
  return {
    mode: development ? "development" : keys.length ? "keys" : "none",
    verifier,
    basic,
    jwks,
    middleware: () => middleware,
    checks: () => (jwks ? [jwks.check()] : []),
  };
}
