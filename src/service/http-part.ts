import type { MiddlewareHandler } from "hono";
import { createHttpApp, startHttpServer, type HttpServer } from "../http/index.js";
import { SERVING_ROLES, type PartRoute, type ServicePart } from "../service-part.js";

/**
 * The last part to start and so the first to stop: one HTTP server for every
 * route and middleware the parts declared. Its stop is the drain: in-flight
 * requests finish within the budget, new connections are refused.
 */
export function httpPart(declared: { routes: PartRoute[]; middleware: MiddlewareHandler[] }): {
  part: ServicePart;
  server(): HttpServer | undefined;
} {
  let server: HttpServer | undefined;
  const part: ServicePart = {
    name: "http",
    roles: SERVING_ROLES,
    async start(ctx) {
      const app = createHttpApp({
        log: ctx.log,
        middleware: declared.middleware,
        isDraining: () => ctx.health.state() === "shutting_down",
        mounts: declared.routes.map((r) => ({
          path: r.path,
          app: typeof r.app === "function" ? r.app() : r.app,
        })),
      });
      const http = await startHttpServer(app, { port: ctx.config.PORT, host: ctx.config.HOST });
      server = http;
      return (remainingMs) => http.close(remainingMs);
    },
  };
  return { part, server: () => server };
}
