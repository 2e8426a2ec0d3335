import { Hono, type Context, type MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { Logger } from "../log/index.js";
import { runWithLogContext } from "../log/index.js";
import { nodeRequestObserverOf, routeTemplate } from "../metrics/index.js";
import { loggableHeaders, type AccessLogMode } from "./access-log.js";
import { errorEnvelope } from "./error-envelope.js";
import { createNodeDispatcher } from "./node-dispatcher.js";
import { matchTemplate, nodeRoutesOf, setNodeDispatcher } from "./node-route.js";
import { resolveRequestId } from "./request-id.js";
import {
  bodyTooLarge,
  logRequest,
  reportRequestError,
  RETRY_AFTER_SECONDS,
} from "./request-outcome.js";

/** What every handler can read from the Hono context (`c.get("requestId")`). */
export interface AppEnv {
  /**
   * `maxBodyBytes`: the app's body cap, for routes that read their own body
   * (Node routes, see addNodeRoute): the app leaves the cap to them.
   */
  Variables: { requestId: string; maxBodyBytes: number };
}

export interface HttpAppOptions {
  log: Logger;
  /** Middleware run for every request after the request context is set (e.g. metrics). */
  middleware?: MiddlewareHandler[];
  /** Sub-apps mounted in order (health, metrics, the service's own routes). */
  mounts?: { path: string; app: Hono<any> }[]; // eslint-disable-line @typescript-eslint/no-explicit-any -- sub-apps carry their own env types
  /** While true, responses carry `Connection: close` so keep-alive clients reconnect elsewhere. */
  isDraining?: () => boolean;
  /** Largest accepted request body; default 1 MiB. */
  bodyLimitBytes?: number;
  /** Paths logged at debug level instead of info (probes and scrapes). */
  quietPaths?: string[];
  /** The per-request log line (`OPSKIT_ACCESS_LOG`): off, on (default), full (with the non-secret headers). */
  accessLog?: AccessLogMode;
  /** Called with every error answered as a 5xx that is ours to fix (the error-reporting hook). */
  onUnexpectedError?: (
    error: unknown,
    context: { requestId: string; method: string; route: string },
  ) => void;
}

const DEFAULT_QUIET = ["/livez", "/readyz", "/health", "/metrics"];

/**
 * The service's HTTP app: a request id on every request (taken from
 * `X-Request-Id` or generated, returned on the response and carried by every
 * log line), one log line per request, the body-size cap, and the error
 * envelope `{"error":{"code","message","requestId"}}` — no stack trace or SQL
 * ever reaches a client.
 *
 * @example
 * const app = createHttpApp({ log, mounts: [{ path: "/", app: health.app }] });
 * const res = await app.request("/livez");
 */
export function createHttpApp(options: HttpAppOptions): Hono<AppEnv> {
  const log = options.log.child({ category: "http" });
  const quiet = new Set(options.quietPaths ?? DEFAULT_QUIET);
  const app = new Hono<AppEnv>();

  app.use("*", async (c, next) => {
    const requestId = resolveRequestId(c.req.header("x-request-id"));
    c.set("requestId", requestId);
    const started = performance.now();
    // Headers are set before the handler runs: set afterwards, Hono rebuilds the
    // response and @hono/node-server leaves its fast path (measured: ~15 % of CPU).
    c.header("X-Request-Id", requestId);
    if (options.isDraining?.()) c.header("Connection", "close");
    await runWithLogContext({ request_id: requestId }, async () => {
      await next();
      logRequest(
        log,
        quiet,
        c.req.path,
        {
          method: c.req.method,
          route: routeTemplate(c),
          status: c.res.status,
          started,
          headers: () => loggableHeaders(c.req.raw.headers),
        },
        options.accessLog,
      );
    });
  });
  const maxBodyBytes = options.bodyLimitBytes ?? 1024 * 1024;
  const limitBody: MiddlewareHandler<AppEnv, "*"> = bodyLimit({
    maxSize: maxBodyBytes,
    onError: () => {
      throw bodyTooLarge();
    },
  });
  // Routes a mounted sub-app also serves on Node's request and response (the
  // webhook inbox) read their own body under the cap: they refuse an
  // oversized one themselves, so the refusal reaches their own records (the
  // inbox's metrics and rejection list) on either path.
  const nodeRoutes = (options.mounts ?? []).flatMap((mount) =>
    nodeRoutesOf(mount.app).map((route) => ({ ...route, path: joinPaths(mount.path, route.path) })),
  );
  const ownCap = nodeRoutes.map((route) => ({
    method: route.method,
    match: matchTemplate(route.path),
  }));
  const readsOwnBody = (method: string, path: string) =>
    ownCap.some((route) => route.method === method && route.match(path) !== undefined);
  app.use("*", (c: Context<AppEnv, "*">, next) => {
    // GET and HEAD carry no body; touching `c.req.raw.body` for them builds a stream for nothing.
    if (c.req.method === "GET" || c.req.method === "HEAD") return next();
    c.set("maxBodyBytes", maxBodyBytes);
    return readsOwnBody(c.req.method, c.req.path) ? next() : limitBody(c, next);
  });
  for (const middleware of options.middleware ?? []) app.use("*", middleware);
  for (const mount of options.mounts ?? []) app.route(mount.path, mount.app);

  app.notFound((c) =>
    c.json(
      errorEnvelope(
        {
          status: 404,
          code: "NOT_FOUND",
          message: `No route for ${c.req.method} ${c.req.path}.`,
          unexpected: false,
        },
        c.get("requestId"),
      ),
      404,
    ),
  );
  app.onError((thrown, c) => {
    const error = reportRequestError(log, thrown);
    if (error.unexpected) {
      const context = {
        requestId: c.get("requestId"),
        method: c.req.method,
        route: routeTemplate(c),
      };
      options.onUnexpectedError?.(thrown, context);
    }
    if (error.status === 503) c.header("Retry-After", RETRY_AFTER_SECONDS);
    return c.json(errorEnvelope(error, c.get("requestId")), error.status as 400);
  });

  // The Node routes skip Hono when served by startHttpServer; only when every
  // middleware has a Node twin, so none of them is skipped with it.
  const observers = (options.middleware ?? []).map(nodeRequestObserverOf);
  if (nodeRoutes.length > 0 && observers.every((o) => o !== undefined)) {
    setNodeDispatcher(
      app,
      createNodeDispatcher({
        routes: nodeRoutes,
        log,
        quiet,
        observers,
        isDraining: options.isDraining,
        maxBodyBytes,
        accessLog: options.accessLog,
        onUnexpectedError: options.onUnexpectedError,
      }),
    );
  }
  return app;
}

function joinPaths(base: string, path: string): string {
  return base === "/" || base === "" ? path : `${base.replace(/\/$/, "")}${path}`;
}
