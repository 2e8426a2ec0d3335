import type { Hono } from "hono";

/**
 * Which request paths opskit's own app answers (probes, `/metrics`, the
 * inbox's `/webhooks/:source`, the console under `/ops`), read from its
 * route table: a route's literal path is matched exactly, one with a
 * parameter or a wildcard by the literal segments before it. The app's
 * catch-all middleware (`/*`) is not a route of its own.
 *
 * @example
 * const served = servedPaths(service.app); served("/livez"); // true
 */
export function servedPaths(
  app: Hono<any>, // eslint-disable-line @typescript-eslint/no-explicit-any -- any env
): (path: string) => boolean {
  const exact = new Set<string>();
  const prefixes = new Set<string>();
  for (const route of app.routes) {
    const segments = route.path.split("/");
    const dynamic = segments.findIndex((s) => s.startsWith(":") || s.includes("*"));
    if (dynamic === -1) exact.add(route.path);
    else if (dynamic > 1) prefixes.add(`${segments.slice(0, dynamic).join("/")}/`);
  }
  const prefixList = [...prefixes];
  return (path) => exact.has(path) || prefixList.some((prefix) => path.startsWith(prefix));
}
