import { createLocalJWKSet, errors, type JSONWebKeySet, type JWK, type LocalJWKSet } from "jose";
import { OpskitError, toError } from "../../errors.js";
import type { HealthCheck, HealthCheckOutcome } from "../../health/index.js";
import { ASYMMETRIC_ALGORITHMS, DEFAULT_JWKS_ALGORITHMS, type KeySource } from "../key-source.js";

export interface JwksSourceOptions {
  url: string | URL;
  /** Default ES256, RS256, EdDSA; only asymmetric algorithms are accepted. */
  algorithms?: readonly string[];
  /** After this the keys are refreshed in the background (they keep verifying meanwhile); default 10 min. */
  cacheMaxAgeMs?: number;
  /** The least time between two fetches: unknown `kid`s and failures refetch at most this often; default 30 s. */
  cooldownMs?: number;
  /** One fetch's limit; default 5 s. */
  timeoutMs?: number;
  /** For tests: the clock (epoch ms). */
  now?: () => number;
}

/** What the source knows about its endpoint, for readiness and the docs' failure modes. */
export interface JwksStatus {
  keys: number;
  /** When the keys in use were fetched (epoch ms); undefined before the first success. */
  fetchedAt: number | undefined;
  /** The last fetch's failure, when it failed (safe: no URL credentials, no body). */
  lastError: string | undefined;
  /** Until when no fetch is made (epoch ms). */
  coolingDownUntil: number;
  fetches: number;
}

export interface JwksSource extends KeySource {
  readonly kind: "jwks";
  status(): JwksStatus;
  /** Fetches now unless cooling down; resolves whether the keys in use are fresh. */
  refresh(): Promise<boolean>;
  /** Readiness: pass when fresh; warn while cached keys outlive a failing endpoint; fail with none. */
  check(): HealthCheck;
}

/**
 * Keys from a JWKS URL (an identity service's ES256 keys, Auth0, Keycloak,
 * Supabase's asymmetric keys). Unlike jose's `createRemoteJWKSet`, whose
 * cached keys stop working once `cacheMaxAge` passes with the endpoint down,
 * the last good set keeps verifying during an outage: the outage shows as a
 * warning in readiness instead of as 401s for every user. An unknown `kid`
 * refetches at once unless a fetch happened within the cooldown (so a flood
 * of forged `kid`s costs one fetch per cooldown). Symmetric (`oct`) keys in
 * the set are dropped: a JWKS is public, so an HMAC key in it is anyone's.
 *
 * @example
 * const jwks = jwksSource({ url: "https://id.example.com/.well-known/jwks.json" });
 * const verifier = createJwtVerifier({ keys: [jwks], issuer: "https://id.example.com", audience: "bakery" });
 */
export function jwksSource(options: JwksSourceOptions): JwksSource {
  const url = new URL(options.url);
  const algorithms = Object.freeze([...(options.algorithms ?? DEFAULT_JWKS_ALGORITHMS)]);
  for (const alg of algorithms) {
    if (!(ASYMMETRIC_ALGORITHMS as readonly string[]).includes(alg)) {
      throw new OpskitError(
        "AUTH_CONFIG_INVALID",
        `${alg} is not allowed for JWKS keys: use ${ASYMMETRIC_ALGORITHMS.join(", ")}.`,
      );
    }
  }
  const cacheMaxAgeMs = options.cacheMaxAgeMs ?? 10 * 60_000;
  const cooldownMs = options.cooldownMs ?? 30_000;
  const timeoutMs = options.timeoutMs ?? 5_000;
  const now = options.now ?? Date.now;

  let local: LocalJWKSet | undefined;
  let keyCount = 0;
  let fetchedAt: number | undefined;
  let lastAttemptAt = -Infinity;
  let lastError: string | undefined;
  let fetches = 0;
  let inflight: Promise<boolean> | undefined;

  const coolingDown = () => now() - lastAttemptAt < cooldownMs;
  const stale = () => fetchedAt === undefined || now() - fetchedAt >= cacheMaxAgeMs;

  async function fetchOnce(): Promise<boolean> {
    lastAttemptAt = now();
    fetches++;
    try {
      const response = await fetch(url, {
        signal: AbortSignal.timeout(timeoutMs),
        headers: { accept: "application/json" },
      });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const body = await response.json();
      const keys = usableKeys(body, algorithms);
      local = createLocalJWKSet({ keys });
      keyCount = keys.length;
      fetchedAt = now();
      lastError = undefined;
      return true;
    } catch (thrown) {
      const error = toError(thrown);
      lastError = error.name === "TimeoutError" ? `no answer in ${timeoutMs} ms` : error.message;
      return false;
    }
  }

  function refresh(): Promise<boolean> {
    if (inflight) return inflight;
    if (coolingDown()) return Promise.resolve(!stale());
    inflight = fetchOnce().finally(() => (inflight = undefined));
    return inflight;
  }

  const source: JwksSource = {
    kind: "jwks",
    algorithms,
    async getKey(header, token) {
      if (!local) await refresh();
      // Stale keys still verify; the refresh runs beside the request.
      else if (stale() && !coolingDown()) void refresh();
      if (!local) {
        throw new OpskitError(
          "DEPENDENCY_FAILURE",
          "The JWKS endpoint has not answered yet; no key can verify a token.",
        );
      }
      try {
        return await local(header, token);
      } catch (thrown) {
        // A new kid: the provider may have rotated. Refetch once per cooldown.
        if (!(thrown instanceof errors.JWKSNoMatchingKey) || coolingDown()) throw thrown;
        await refresh();
        return local(header, token);
      }
    },
    status: () => ({
      keys: keyCount,
      fetchedAt,
      lastError,
      coolingDownUntil: lastAttemptAt + cooldownMs,
      fetches,
    }),
    refresh,
    check: () => ({
      name: "auth_jwks",
      componentType: "component",
      componentId: url.host,
      // The fetch has its own timeout; the check waits for it.
      timeoutMs: timeoutMs + 500,
      async run(): Promise<HealthCheckOutcome> {
        if (stale()) await refresh();
        if (!local)
          return { status: "fail", output: `JWKS not loaded: ${lastError ?? "not fetched yet"}` };
        if (lastError !== undefined) {
          return {
            status: "warn",
            observedValue: Math.round((now() - (fetchedAt ?? now())) / 1000),
            observedUnit: "s",
            output: `JWKS endpoint failing (${lastError}); ${keyCount} cached keys still verify; next try after the cooldown.`,
          };
        }
        return { observedValue: keyCount, observedUnit: "keys" };
      },
    }),
  };
  return source;
}

function usableKeys(body: unknown, algorithms: readonly string[]): JWK[] {
  const keys = (body as Partial<JSONWebKeySet> | null)?.keys;
  if (!Array.isArray(keys)) throw new Error("the body is not a JWKS (no keys array)");
  return keys.filter(
    (k): k is JWK =>
      typeof k === "object" &&
      k !== null &&
      k.kty !== "oct" &&
      (k.alg === undefined || algorithms.includes(k.alg)),
  );
}
