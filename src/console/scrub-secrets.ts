import type { MiddlewareHandler } from "hono";

export const SCRUBBED = "[secret]";

/**
 * The last line of "no secret value ever rendered": every HTML or JSON body
 * the console sends is searched for the configured secret values (tokens,
 * passwords, the database password, webhook secrets) and each is replaced.
 * Screens never select secrets on purpose; this catches one that reaches a
 * page by another road (a query text in pg_stat_activity, a job payload, an
 * event body, an error message).
 */
export function scrubSecrets(secrets: readonly string[]): MiddlewareHandler {
  // Longest first, so a secret that contains another is replaced whole.
  const sorted = [...new Set(secrets)].sort((a, b) => b.length - a.length);
  return async (c, next) => {
    await next();
    if (sorted.length === 0) return;
    const type = c.res.headers.get("content-type") ?? "";
    if (!type.startsWith("text/html") && !type.startsWith("application/json")) return;
    const text = await c.res.text();
    let clean = text;
    for (const secret of sorted)
      if (clean.includes(secret)) clean = clean.replaceAll(secret, SCRUBBED);
    const headers = new Headers(c.res.headers);
    headers.delete("content-length");
    c.res = new Response(clean, { status: c.res.status, headers });
  };
}
