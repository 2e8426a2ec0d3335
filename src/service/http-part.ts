import type { Hono, MiddlewareHandler } from "hono";
import { createHttpApp, startHttpServer, type AppEnv, type HttpServer } from "../http/index.js";
import type { ErrorReporting } from "../log/index.js";
import { SERVING_ROLES, type PartRoute, type ServicePart } from "../service-part.js";

/**
 * The last part to start and so the first to stop: one HTTP server for every
 * route and middleware the parts declared. Its stop is the drain: in-flight
 * requests finish within the budget, new connections are refused.
 */
export function httpPart(
  declared: { routes: PartRoute[]; middleware: MiddlewareHandler[] },
  options: { listen: boolean; reporting?: ErrorReporting } = { listen: true },
): {
  part: ServicePart;
  server(): HttpServer | undefined;
  /** The app every route is mounted on (also without a server of its own: a framework adapter serves it). */
  app(): Hono<AppEnv> | undefined;
} {
  let server: HttpServer | undefined;
  let made: Hono<AppEnv> | undefined;
  const part: ServicePart = {
    name: "http",
    roles: SERVING_ROLES,
    async start(ctx) {
      const app = createHttpApp({
        log: ctx.log,
        middleware: declared.middleware,
        isDraining: () => ctx.health.state() === "shutting_down",
        accessLog: ctx.config.OPSKIT_ACCESS_LOG,
        onUnexpectedError: (error, request) =>
          options.reporting?.report(error, { source: "http", ...request }),
        mounts: declared.routes.map((r) => ({
          path: r.path,
          app: typeof r.app === "function" ? r.app() : r.app,
        })),
      });
      made = app;
      // A framework adapter serves the app on its own server, and closes it in its own lifecycle.
      if (!options.listen) return;
      const http = await startHttpServer(app, { port: ctx.config.PORT, host: ctx.config.HOST });
      server = http;
      return (remainingMs) => http.close(remainingMs);
    },
  };
  return { part, server: () => server, app: () => made };
}
