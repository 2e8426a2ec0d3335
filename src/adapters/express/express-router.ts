import type { Server } from "node:http";
import type { ErrorRequestHandler, NextFunction, Request, RequestHandler, Response } from "express";
import type { Principal } from "../../auth/index.js";
import type { AdaptedRequest, AdaptedService, FrameworkAnswer } from "../adapted-service.js";
import { frameworkClientError } from "../client-error.js";
import type { RequestPrincipal } from "../request-auth.js";

/** What `opskitExpress` puts on `res.locals` for the service's own handlers. */
export interface OpskitLocals {
  opskit: AdaptedRequest;
  /** The verified caller, when the request carried a valid credential. */
  principal?: Principal;
  /** The answer refusing this request for `roles` (none: any caller), or undefined when it may pass. */
  opskitRefusal?: (roles: readonly string[]) => FrameworkAnswer | undefined;
}

export interface OpskitExpress {
  /** Mount first (`app.use(opskit.router)`), before any body parser: opskit's routes read the raw body. */
  router: RequestHandler;
  /** Mount last (`app.use(opskit.errorHandler)`): errors in opskit's envelope, 5xx reported; 404 for unmatched routes. */
  errorHandler: ErrorRequestHandler;
  /** Answers unmatched routes with the 404 envelope (mount after your routes, before `errorHandler`). */
  notFound: RequestHandler;
  /** A route guard: 401 without a valid credential, 403 without one of `roles`. */
  requireRole(...roles: string[]): RequestHandler;
  /**
   * The shutdown of `server`: readiness fails, the drain delay passes, the
   * server stops accepting and finishes in-flight requests, the parts stop.
   * Resolves true when all of it was clean.
   */
  close(server: Server): Promise<boolean>;
  /** SIGTERM/SIGINT run `close(server)`, then exit 0 (clean) or 1. Returns the uninstaller. */
  exitOnSignals(server: Server): () => void;
  /**
   * Says `server` is closing (for a framework that closes it itself, as
   * Nest does): each keep-alive socket is closed as soon as it answers its
   * last request, instead of lingering until its idle timeout.
   */
  closing(server: Server): void;
}

/**
 * Mounts a service's parts on an Express app: opskit's own routes (probes,
 * `/metrics`, the inbox on the raw body, the console) and, for the app's own
 * routes, the request id and its log context, the access log, route guards
 * and the error envelope; and a graceful shutdown for the app's server.
 *
 * @example
 * const opskit = opskitExpress(await startAdaptedService({ name: "shop", version: "1.0.0" }));
 * app.use(opskit.router);
 * app.use(express.json());
 * app.get("/admin", opskit.requireRole("admin"), handler);
 * app.use(opskit.notFound, opskit.errorHandler);
 * opskit.exitOnSignals(app.listen(3000));
 */
export function opskitExpress(adapted: AdaptedService<unknown>): OpskitExpress {
  const seen = new WeakMap<Response, RequestPrincipal>();
  let closing: Server | undefined;
  const local = (res: Response) => res.locals as Partial<OpskitLocals>;

  const router: RequestHandler = (req, res, next) => {
    // A keep-alive socket that answered its last request once the server began closing is idle now.
    res.once("close", () => {
      if (closing) setImmediate(() => closing?.closeIdleConnections());
    });
    if (adapted.serves(req.path)) {
      adapted.serve(req, res);
      return;
    }
    const started = adapted.begin(req.headers, { method: req.method, path: req.path });
    local(res).opskit = started;
    res.setHeader("x-request-id", started.requestId);
    if (adapted.draining()) res.setHeader("connection", "close");
    res.once("finish", () => {
      adapted.end(started, {
        method: req.method,
        path: req.path,
        route: routeOf(req),
        status: res.statusCode,
        headers: req.headers,
      });
    });
    adapted.within(started, () => {
      adapted.auth.authenticate(req.headers.authorization).then(
        (result) => {
          seen.set(res, result);
          local(res).principal = result.principal;
          local(res).opskitRefusal = (roles) =>
            adapted.auth.refusal(result, roles, started.requestId);
          next();
        },
        (thrown: unknown) => next(thrown),
      );
    });
  };

  const notFound: RequestHandler = (req, res) => {
    const requestId = local(res).opskit?.requestId ?? adapted.begin(req.headers).requestId;
    const message = `No route for ${req.method} ${req.path}.`;
    res.status(404).json({ error: { code: "NOT_FOUND", message, requestId } });
  };

  const errorHandler: ErrorRequestHandler = (
    thrown: unknown,
    req: Request,
    res: Response,
    next: NextFunction,
  ) => {
    if (res.headersSent) return next(thrown);
    const started = local(res).opskit ?? adapted.begin(req.headers);
    const answer = adapted.answerError(frameworkClientError(thrown), started, {
      method: req.method,
      route: routeOf(req),
    });
    res.status(answer.status).set(answer.headers).json(answer.body);
  };

  const closeServer = async (server: Server) => {
    closing = server;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    await closed;
  };
  const close = (server: Server) => adapted.shutdown(() => closeServer(server), "express close");

  return {
    router,
    notFound,
    errorHandler,
    requireRole(...roles) {
      return (_req, res, next) => {
        const started = local(res).opskit;
        const refusal = adapted.auth.refusal(seen.get(res) ?? {}, roles, started?.requestId ?? "");
        if (!refusal) return next();
        res.status(refusal.status).set(refusal.headers).json(refusal.body);
      };
    },
    close,
    closing: (server) => void (closing = server),
    exitOnSignals: (server) => adapted.exitOnSignals(() => closeServer(server)),
  };
}

function routeOf(req: Request): string {
  const route = (req.route as { path?: unknown } | undefined)?.path;
  return typeof route === "string" ? `${req.baseUrl}${route}` : "unmatched";
}
