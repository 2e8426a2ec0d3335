import { OpskitError } from "../errors.js";

/** Set to `1` to let the test helpers create and drop databases on a server that does not look like a test one. */
export const ALLOW_ANY_DATABASE_ENV = "OPSKIT_TESTING_ALLOW_ANY_DATABASE";

/**
 * True when a URL looks like a test server: on this machine (loopback), or
 * with `test` in its database or user name. A production database is never
 * any of these, so a test run pointed at one by mistake stops before it
 * creates, truncates or drops anything.
 */
export function looksLikeTestDatabase(url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  const host = parsed.hostname.replace(/^\[|\]$/g, "");
  const loopback = host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
  const named = /test/i.test(decodeURIComponent(parsed.pathname)) || /test/i.test(parsed.username);
  return loopback || named;
}

/**
 * Refuses (throws `CONFIG_INVALID`) a database URL that does not look like a
 * test server, unless `OPSKIT_TESTING_ALLOW_ANY_DATABASE=1` or `allow` says so.
 * The message names the host, never the password.
 */
export function assertTestDatabase(
  url: string,
  options: { allow?: boolean; env?: Record<string, string | undefined> } = {},
): void {
  const env = options.env ?? process.env;
  if (options.allow || env[ALLOW_ANY_DATABASE_ENV] === "1" || looksLikeTestDatabase(url)) return;
  let where = "an unparsable URL";
  try {
    const parsed = new URL(url);
    where = `${parsed.hostname}${parsed.pathname}`;
  } catch {
    // keep the generic description: the URL may hold a password
  }
  throw new OpskitError(
    "CONFIG_INVALID",
    `Refusing to run tests against ${where}: it is not on this machine and has no "test" in its database or user name. ` +
      `Tests create and drop databases there. Point TEST_DATABASE_URL at a test server, or set ${ALLOW_ANY_DATABASE_ENV}=1 if this one is.`,
  );
}
