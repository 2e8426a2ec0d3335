import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from "node:crypto";

// scrypt from node:crypto: a memory-hard password hash that Node ships, run
// on libuv's thread pool (the event loop is not blocked while it works).
// bcrypt and argon2 would each bring a native addon for the same job.

/** The shortest password accepted (the config manifest checks the same for console logins). */
export const MIN_PASSWORD_LENGTH = 12;

/** The cost used for new hashes: N = 2^15, r = 8, p = 1 (32 MiB, ~50–100 ms). */
const COST = { N: 2 ** 15, r: 8, p: 1 };
const KEY_BYTES = 32;
const SALT_BYTES = 16;
const FORMAT = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9_-]{16,})\$([A-Za-z0-9_-]{32,})$/;

function derive(password: string, salt: Buffer, bytes: number, cost: ScryptOptions) {
  return new Promise<Buffer>((resolve, reject) => {
    // maxmem: scrypt needs 128·N·r bytes; leave room above it.
    const maxmem = 256 * (cost.N ?? 0) * (cost.r ?? 0);
    scrypt(password, salt, bytes, { ...cost, maxmem }, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}

/**
 * Hashes a password: `scrypt$N$r$p$salt$key` (base64url), the form
 * `OPSKIT_CONSOLE_USERS` accepts in place of a plain password and
 * `OPSKIT_AUTH_BASIC_USERS` requires.
 *
 * @example
 * const entry = `ada:operator:${await hashPassword("correct horse battery staple")}`;
 */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, KEY_BYTES, COST);
  return `scrypt$${COST.N}$${COST.r}$${COST.p}$${salt.toString("base64url")}$${key.toString("base64url")}`;
}

/** A parsed hash, or undefined when `text` is not one (then it is a plain password). */
export interface PasswordHash {
  cost: { N: number; r: number; p: number };
  salt: Buffer;
  key: Buffer;
}

export function parsePasswordHash(text: string): PasswordHash | undefined {
  const m = FORMAT.exec(text);
  if (!m) return undefined;
  const [N, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  // A power of two of sane size; anything else is not a hash this module made.
  if (N < 2 ** 10 || N > 2 ** 20 || (N & (N - 1)) !== 0 || r < 1 || r > 32 || p < 1 || p > 16)
    return undefined;
  return {
    cost: { N, r, p },
    salt: Buffer.from(m[4] ?? "", "base64url"),
    key: Buffer.from(m[5] ?? "", "base64url"),
  };
}

/** True when `password` matches; compared in constant time. */
export async function verifyPasswordHash(hash: PasswordHash, password: string): Promise<boolean> {
  const key = await derive(password, hash.salt, hash.key.length, hash.cost);
  return timingSafeEqual(key, hash.key);
}
