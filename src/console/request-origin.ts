import type { Context } from "hono";

/*
 * Where the browser thinks the console is: the scheme (https when the
 * request came over TLS, or through a trusted proxy that says so) and the
 * host. Used for the cookies' `Secure` and `__Host-` and for the Origin check.
 */

/** True when the browser reached the console over https. */
export function isHttpsRequest(c: Context, trustProxy: boolean): boolean {
  return (
    new URL(c.req.url).protocol === "https:" ||
    (trustProxy && c.req.header("x-forwarded-proto")?.split(",")[0]?.trim() === "https")
  );
}

/** The console's own origin as the browser sees it (`https://ops.example.com`). */
export function consoleOrigin(c: Context, trustProxy: boolean): string {
  const url = new URL(c.req.url);
  const forwardedHost = trustProxy
    ? c.req.header("x-forwarded-host")?.split(",")[0]?.trim()
    : undefined;
  return `${isHttpsRequest(c, trustProxy) ? "https:" : url.protocol}//${forwardedHost || url.host}`;
}

/**
 * The `Origin` of a request when it is present and not the console's own
 * (a cross-site form or script), else undefined. Browsers send `Origin` on
 * every cross-site POST; an absent one (an old browser, curl) leaves the
 * decision to the CSRF token.
 */
export function foreignOrigin(c: Context, trustProxy: boolean): string | undefined {
  const origin = c.req.header("origin");
  if (origin === undefined) return undefined;
  const own = consoleOrigin(c, trustProxy);
  if (origin === own) return undefined;
  // Plain http with no trusted proxy may be a TLS-terminating proxy the
  // service was not told about: the browser's https origin is then the same
  // site. The host still has to match.
  if (!isHttpsRequest(c, trustProxy) && origin === own.replace(/^http:/, "https:"))
    return undefined;
  return origin;
}
