import { jwtVerify, type JWTVerifyGetKey, type JWTVerifyOptions } from "jose";
import { OpskitError } from "../errors.js";
import { failureReason, unauthorized } from "./auth-failure.js";
import type { KeySource } from "./key-source.js";
import type { Principal } from "./principal.js";
import { DEFAULT_ROLES_CLAIM, rolesAt } from "./roles-claim.js";

/** Default leeway for `exp`/`nbf`: clocks of two hosts disagree by seconds, rarely more. */
export const DEFAULT_CLOCK_TOLERANCE_SECONDS = 30;
/** The most leeway accepted: more would keep an expired token alive for long. */
export const MAX_CLOCK_TOLERANCE_SECONDS = 300;

const VERDICT_CACHE_MS = 60_000;
const VERDICT_CACHE_MAX = 1000;

export interface JwtVerifierOptions {
  /** Where keys come from: `hsSecretSource(…)`, `jwksSource(…)`, or both (routed by `alg`). */
  keys: readonly KeySource[];
  /** Required `iss` (any of). When set, a token without it is refused. */
  issuer?: string | readonly string[];
  /** Required `aud` (any of). When set, a token without it is refused. */
  audience?: string | readonly string[];
  /** Dotted path of the roles claim; default `roles`. */
  rolesClaim?: string;
  /** Leeway for `exp` and `nbf` in seconds; default 30, at most 300. */
  clockToleranceSeconds?: number;
  /** Refuse tokens issued longer ago than this (requires `iat`). */
  maxTokenAgeSeconds?: number;
  /** Required `typ` header (`at+jwt` for RFC 9068 access tokens). */
  typ?: string;
}

export interface JwtVerifier {
  /** The principal of a valid token; throws 401 `UNAUTHORIZED` with `details.reason` otherwise. */
  verify(token: string): Promise<Principal>;
}

/**
 * Verifies bearer JWTs on jose with the defaults jose leaves open: an
 * algorithm allow-list per key source (never `none`, never HMAC against a
 * public key), `exp` and `sub` required, `iss` and `aud` required when
 * configured, bounded clock tolerance.
 *
 * @example
 * const verifier = createJwtVerifier({
 *   keys: [hsSecretSource(config.OPSKIT_AUTH_JWT_SECRET)],
 *   issuer: "https://abc.supabase.co/auth/v1",
 *   audience: "authenticated",
 *   rolesClaim: "app_metadata.roles",
 * });
 * const principal = await verifier.verify(token); // { subject, roles, claims, … }
 */
export function createJwtVerifier(options: JwtVerifierOptions): JwtVerifier {
  if (options.keys.length === 0) {
    throw new OpskitError("AUTH_CONFIG_INVALID", "A JWT verifier needs at least one key source.");
  }
  const tolerance = options.clockToleranceSeconds ?? DEFAULT_CLOCK_TOLERANCE_SECONDS;
  if (!(tolerance >= 0 && tolerance <= MAX_CLOCK_TOLERANCE_SECONDS)) {
    throw new OpskitError(
      "AUTH_CONFIG_INVALID",
      `clockToleranceSeconds must be from 0 to ${MAX_CLOCK_TOLERANCE_SECONDS}.`,
    );
  }
  // alg → source: decided once, so a token's alg picks its key source and nothing else.
  const byAlg = new Map<string, KeySource>();
  for (const source of options.keys) {
    for (const alg of source.algorithms) {
      if (alg === "none" || byAlg.has(alg)) {
        throw new OpskitError("AUTH_CONFIG_INVALID", `Algorithm ${alg} cannot be allowed here.`);
      }
      byAlg.set(alg, source);
    }
  }
  const getKey: JWTVerifyGetKey = (header, token) => {
    // jose has already refused an alg outside `algorithms`; this is the routing.
    const source = byAlg.get(header.alg ?? "");
    if (!source) throw unauthorized("alg_not_allowed");
    return source.getKey(header, token);
  };
  const verifyOptions: JWTVerifyOptions = Object.freeze({
    algorithms: [...byAlg.keys()],
    requiredClaims: ["exp", "sub"],
    clockTolerance: tolerance,
    ...(options.issuer === undefined ? {} : { issuer: toList(options.issuer) }),
    ...(options.audience === undefined ? {} : { audience: toList(options.audience) }),
    ...(options.maxTokenAgeSeconds === undefined
      ? {}
      : { maxTokenAge: options.maxTokenAgeSeconds }),
    ...(options.typ === undefined ? {} : { typ: options.typ }),
  });
  const rolesClaim = options.rolesClaim ?? DEFAULT_ROLES_CLAIM;
  // A client sends the same token on every request until it expires: the
  // verdict for those exact bytes is kept for at most a minute (and never
  // past exp), which takes the signature check off the request path. Only
  // successes are kept; a key removed from the JWKS stops new tokens at once
  // and the cached ones within the minute.
  const verified = new Map<string, { principal: Principal; until: number }>();

  return {
    async verify(token) {
      const hit = verified.get(token);
      if (hit && hit.until > Date.now()) return hit.principal;
      let payload;
      try {
        ({ payload } = await jwtVerify(token, getKey, verifyOptions));
      } catch (thrown) {
        if (thrown instanceof OpskitError && thrown.code === "UNAUTHORIZED") throw thrown;
        throw unauthorized(failureReason(thrown), thrown);
      }
      const principal: Principal = Object.freeze({
        subject: payload.sub as string,
        roles: Object.freeze(rolesAt(payload, rolesClaim)),
        scheme: "bearer" as const,
        claims: Object.freeze(payload),
        expiresAt: new Date((payload.exp as number) * 1000),
      });
      if (verified.size >= VERDICT_CACHE_MAX) verified.clear();
      verified.set(token, {
        principal,
        until: Math.min(Date.now() + VERDICT_CACHE_MS, principal.expiresAt!.getTime()),
      });
      return principal;
    },
  };
}

function toList(value: string | readonly string[]): string | string[] {
  return typeof value === "string" ? value : [...value];
}
