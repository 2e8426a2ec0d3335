import type { Context, Env, Input } from "hono";
import { matchedRoutes } from "hono/route";

/** The `http_route` value of a request that no route handled. */
export const UNMATCHED_ROUTE = "unmatched";

// OpenTelemetry HTTP semconv: the well-known methods, case-sensitive; anything else is "_OTHER"
// so a client cannot mint label values.
const KNOWN_METHODS = new Set([
  "CONNECT",
  "DELETE",
  "GET",
  "HEAD",
  "OPTIONS",
  "PATCH",
  "POST",
  "PUT",
  "QUERY",
  "TRACE",
]);

/**
 * The `http_request_method` label: a well-known method as is, anything else `_OTHER`.
 *
 * @example
 * normalizeMethod("GET"); // "GET"
 * normalizeMethod("PURGE"); // "_OTHER"
 */
export function normalizeMethod(method: string): string {
  return KNOWN_METHODS.has(method) ? method : "_OTHER";
}

/** A route registered with `app.use(...)`: it matches every method under a wildcard. */
function isMiddleware(route: { method: string; path: string }): boolean {
  return route.method === "ALL" && route.path.endsWith("*");
}

/**
 * The route template that handled the request (`/api/orders/:id`), read after
 * `await next()` in a middleware mounted with `app.use("*", …)`; works for
 * routes of sub-apps mounted with `app.route()` (their templates include the
 * mount path).
 *
 * Hono's `routePath(c, -1)` is not enough on its own: the last matched route
 * is a wildcard middleware when no route matched (it would label a 404 scan
 * `/*`), and a middleware registered after the routes would win. So: the
 * route Hono ran last (`c.req.routeIndex`) when it is a handler; when it is a
 * middleware that answered early (an auth 401), the first handler it stood in
 * front of; when there is none, `unmatched`.
 *
 * @example
 * app.use("*", async (c, next) => { await next(); console.log(routeTemplate(c)); });
 */
export function routeTemplate<E extends Env, P extends string, I extends Input>(
  c: Context<E, P, I>,
): string {
  const routes = matchedRoutes(c);
  const index = c.req.routeIndex;
  const current = routes[index];
  if (current && !isMiddleware(current)) return current.path;
  const ahead = routes.slice(index + 1).find((route) => !isMiddleware(route));
  return ahead?.path ?? UNMATCHED_ROUTE;
}
