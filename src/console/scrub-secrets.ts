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
  // Pages hold text as escaped for HTML (`'` is `&#39;`), links as
  // percent-encoded, JSON bodies as escaped for JSON (`"` is `\"`): each
  // form of a secret is searched for. Longest first, so a secret that
  // contains another is replaced whole.
  const forms = secrets.flatMap((s) => {
    const url = wellFormedUri(s);
    return [s, escapeHtml(s), JSON.stringify(s).slice(1, -1), url, escapeHtml(url)];
  });
  const sorted = [...new Set(forms)].sort((a, b) => b.length - a.length);
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

/** The escaping of Hono's `html` template (utils/html `escapeToBuffer`). */
export function escapeHtml(text: string): string {
  return text.replace(
    /[&<>'"]/g,
    (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", "'": "&#39;", '"': "&quot;" })[ch]!,
  );
}

function wellFormedUri(text: string): string {
  try {
    return encodeURIComponent(text);
  } catch {
    return text; // a lone surrogate: no link can hold it encoded
  }
}
