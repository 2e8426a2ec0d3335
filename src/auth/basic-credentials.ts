import { createHmac, randomBytes } from "node:crypto";
import { OpskitError } from "../errors.js";
import { unauthorized } from "./auth-failure.js";
import {
  hashPassword,
  parsePasswordHash,
  verifyPasswordHash,
  type PasswordHash,
} from "./password-hash.js";
import type { Principal } from "./principal.js";

/** One entry of `OPSKIT_AUTH_BASIC_USERS`: `name:scrypt$…:role`. */
export const BASIC_USER_PATTERN =
  /^([A-Za-z0-9._@-]{1,64}):(scrypt\$[^:]+):([A-Za-z0-9._-]{1,64})$/;

export interface BasicCredentialsOptions {
  /** `name:scrypt-hash:role` entries (hashes from `opskit console hash-password`). */
  users: readonly string[];
  /** How long a verified name and password pair skips scrypt; default 5 min (0 = never). */
  cacheTtlMs?: number;
  /** Most pairs remembered; default 1000. */
  cacheMax?: number;
}

export interface BasicCredentials {
  /** The principal for an `Authorization: Basic …` value's credentials; throws 401 otherwise. */
  verify(encoded: string): Promise<Principal>;
}

/**
 * HTTP Basic for service-to-service calls, against scrypt hashes only (a
 * plain password in the environment is refused). scrypt costs ~50–100 ms by
 * design, which a caller paying it on every request would feel, so a
 * verified pair is remembered for a few minutes under an HMAC with a key
 * made at start (the password itself is never kept). An unknown name costs
 * the same scrypt as a known one, so timing does not tell names apart.
 *
 * @example
 * const basic = createBasicCredentials({ users: ["billing:scrypt$32768$8$1$…:service"] });
 * const principal = await basic.verify(header.slice("Basic ".length));
 */
export function createBasicCredentials(options: BasicCredentialsOptions): BasicCredentials {
  const users = new Map<string, { hash: PasswordHash; role: string }>();
  for (const [index, entry] of options.users.entries()) {
    const m = BASIC_USER_PATTERN.exec(entry);
    const hash = m ? parsePasswordHash(m[2] ?? "") : undefined;
    // The position, never the entry: it holds a hash.
    if (!m || !hash) {
      throw new OpskitError(
        "AUTH_CONFIG_INVALID",
        `Basic user ${index + 1} is not name:scrypt-hash:role (hash from opskit console hash-password).`,
      );
    }
    if (users.has(m[1]!)) {
      throw new OpskitError("AUTH_CONFIG_INVALID", `Basic user ${m[1]} is listed twice.`);
    }
    users.set(m[1]!, { hash, role: m[3]! });
  }
  const ttl = options.cacheTtlMs ?? 5 * 60_000;
  const max = options.cacheMax ?? 1000;
  const cacheKey = randomBytes(32);
  const verified = new Map<string, { principal: Principal; until: number }>();
  // Made once, lazily: the scrypt an unknown name is checked against.
  let decoy: Promise<PasswordHash> | undefined;

  return {
    async verify(encoded) {
      const text = Buffer.from(encoded.trim(), "base64").toString("utf8");
      const colon = text.indexOf(":");
      if (colon < 1) throw unauthorized("malformed");
      const name = text.slice(0, colon);
      const password = text.slice(colon + 1);
      const id = createHmac("sha256", cacheKey).update(text).digest("base64url");
      const hit = verified.get(id);
      if (hit && hit.until > Date.now()) return hit.principal;
      const user = users.get(name);
      const hash =
        user?.hash ??
        (await (decoy ??= hashPassword(randomBytes(16).toString("hex")).then((h) =>
          parsePasswordHash(h)!,
        )));
      const ok = await verifyPasswordHash(hash, password);
      if (!ok || !user) throw unauthorized("bad_credentials");
      const principal: Principal = Object.freeze({
        subject: name,
        roles: Object.freeze([user.role]),
        scheme: "basic",
        claims: Object.freeze({}),
      });
      if (ttl > 0) {
        if (verified.size >= max) verified.clear();
        verified.set(id, { principal, until: Date.now() + ttl });
      }
      return principal;
    },
  };
}
