import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from "node:http";
import type { ConfigOf, Manifest } from "../config/index.js";
import {
  errorEnvelope,
  loggableHeaders,
  logRequest,
  nodeListener,
  reportRequestError,
  resolveRequestId,
  type ErrorEnvelope,
} from "../http/index.js";
import { flushLogs, runWithLogContext, type Logger } from "../log/index.js";
import { nodeRequestObserverOf } from "../metrics/index.js";
import { startService, type RunningService, type ServiceOptions } from "../service/index.js";
import { createRequestAuth, type RequestAuth } from "./request-auth.js";
import { servedPaths } from "./served-paths.js";

/** A response for the framework to send: status, headers, the JSON error envelope. */
export interface FrameworkAnswer {
  status: number;
  headers: Record<string, string>;
  body: ErrorEnvelope;
}

/** What an adapter knows of one request of the framework's own routes. */
export interface AdaptedRequest {
  requestId: string;
  started: number;
  /** The log context the request runs in (`request_id`). */
  context: { request_id: string };
  /** Records the request in the HTTP metrics once it is answered. */
  observed?: ((route: string, status: number) => void) | undefined;
}

/**
 * A service whose HTTP is served by a framework (Fastify, Express, Nest):
 * the same parts as `startService` (probes, metrics, inbox, console, auth,
 * the worker), no server of its own; what every adapter needs to serve
 * opskit's routes and give the framework's own routes the same request id,
 * log context, access log, error envelope, auth and shutdown.
 */
export interface AdaptedService<C> {
  readonly service: RunningService<C>;
  /** True for a path opskit's own app answers (`/livez`, `/metrics`, `/webhooks/…`, `/ops…`). */
  serves(path: string): boolean;
  /** Answers one of those requests on Node's request and response (the raw body unread). */
  serve(req: IncomingMessage, res: ServerResponse): void;
  /**
   * Starts a framework route's request: its id (from `X-Request-Id` or new),
   * its log context, and (given its method and path) its HTTP metrics.
   */
  begin(headers: IncomingHttpHeaders, request?: { method: string; path: string }): AdaptedRequest;
  /** Runs `fn` inside the request's log context. */
  within<T>(request: AdaptedRequest, fn: () => T): T;
  /** The access log line (`OPSKIT_ACCESS_LOG`) of a finished framework request. */
  end(
    request: AdaptedRequest,
    done: {
      method: string;
      path: string;
      route: string;
      status: number;
      headers: IncomingHttpHeaders;
    },
  ): void;
  /** The envelope for an error a framework route threw; logs it and reports a 5xx. */
  answerError(
    thrown: unknown,
    request: AdaptedRequest,
    where: { method: string; route: string },
  ): FrameworkAnswer;
  readonly auth: RequestAuth;
  /** True once shutdown began: responses should carry `Connection: close`. */
  draining(): boolean;
  /**
   * The shutdown, in order: readiness fails, the drain delay, then
   * `closeServer` (the framework stops accepting and finishes in-flight
   * requests), then the parts stop in reverse and the pool closes. Once;
   * resolves true when everything stopped cleanly within the budget.
   */
  shutdown(closeServer: () => Promise<void>, reason?: string): Promise<boolean>;
  /** True once `shutdown` was called (a framework's close hook then leaves the rest to it). */
  shuttingDown(): boolean;
  /** SIGTERM/SIGINT run `shutdown(closeServer)` and exit 0 (clean) or 1; returns the uninstaller. */
  exitOnSignals(closeServer: () => Promise<void>): () => void;
}

/**
 * Boots the service for a framework (`startService` with `listen: false`).
 * The adapters (`opskit/fastify`, `opskit/express`, `opskit/nest`) call it;
 * a framework without an adapter can use it the same way.
 */
export async function startAdaptedService<M extends Manifest>(
  options: ServiceOptions<M>,
): Promise<AdaptedService<ConfigOf<M>>> {
  const service = await startService({ ...options, listen: false });
  return adaptService(service);
}

/** The adapter's view of a service started with `listen: false`. */
export function adaptService<C>(service: RunningService<C>): AdaptedService<C> {
  const app = service.app;
  const serves = app ? servedPaths(app) : () => false;
  const listener = app ? nodeListener(app) : undefined;
  const log: Logger = service.log.child({ category: "http" });
  const quiet = new Set<string>();
  const accessLog = service.config.OPSKIT_ACCESS_LOG;
  // The metrics part's middleware has a Node twin: the framework's routes are timed by it too.
  const observe = nodeRequestObserverOf(service.metrics.httpMetrics());
  const auth = createRequestAuth(service.config, service.log, service.service.name);
  let stopping: Promise<boolean> | undefined;
  const adapted: AdaptedService<C> = {
    service,
    serves,
    serve(req, res) {
      if (listener) listener(req, res);
      else res.writeHead(404).end();
    },
    begin(headers, request) {
      const header = headers["x-request-id"];
      const requestId = resolveRequestId(typeof header === "string" ? header : undefined);
      const observed = request && observe?.(request.method, request.path);
      return {
        requestId,
        started: performance.now(),
        context: { request_id: requestId },
        observed,
      };
    },
    within: (request, fn) => runWithLogContext(request.context, fn),
    end(request, done) {
      request.observed?.(done.route, done.status);
      runWithLogContext(request.context, () =>
        logRequest(
          log,
          quiet,
          done.path,
          {
            method: done.method,
            route: done.route,
            status: done.status,
            started: request.started,
            headers: () => loggableHeaders(done.headers),
          },
          accessLog,
        ),
      );
    },
    answerError(thrown, request, where) {
      const error = runWithLogContext(request.context, () => reportRequestError(log, thrown));
      if (error.unexpected) {
        service.reportError(thrown, { source: "http", requestId: request.requestId, ...where });
      }
      const headers: Record<string, string> = error.status === 503 ? { "retry-after": "5" } : {};
      return { status: error.status, headers, body: errorEnvelope(error, request.requestId) };
    },
    auth,
    draining: () => service.health.state() === "shutting_down",
    shuttingDown: () => stopping !== undefined,
    shutdown(closeServer, reason = "shutdown") {
      stopping ??= (async () => {
        await service.drain(reason);
        let closed = true;
        try {
          await closeServer();
        } catch (thrown) {
          closed = false;
          service.log
            .child({ category: "shutdown" })
            .error({ err: thrown }, "the server did not close");
        }
        const stopped = await service.stop(reason);
        await flushLogs(service.log);
        return closed && stopped;
      })();
      return stopping;
    },
    exitOnSignals(closeServer) {
      let signalled = false;
      const onSignal = (signal: NodeJS.Signals) => {
        if (signalled) {
          service.log
            .child({ category: "shutdown" })
            .warn({ signal }, "second signal: exiting now");
          process.exit(1);
        }
        signalled = true;
        void adapted.shutdown(closeServer, signal).then((ok) => process.exit(ok ? 0 : 1));
      };
      process.on("SIGTERM", onSignal);
      process.on("SIGINT", onSignal);
      return () => {
        process.off("SIGTERM", onSignal);
        process.off("SIGINT", onSignal);
      };
    },
  };
  return adapted;
}
