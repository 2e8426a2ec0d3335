import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "../log/index.js";
import { runWithLogContext } from "../log/index.js";
import type { NodeRequestObserver } from "../metrics/index.js";
import { loggableHeaders, type AccessLogMode } from "./access-log.js";
import { errorEnvelope } from "./error-envelope.js";
import { matchTemplate, type NodeDispatcher, type NodeRoute } from "./node-route.js";
import { resolveRequestId } from "./request-id.js";
import { logRequest, reportRequestError, RETRY_AFTER_SECONDS } from "./request-outcome.js";

export interface NodeDispatcherOptions {
  routes: readonly NodeRoute[];
  /** The app's `http` logger. */
  log: Logger;
  quiet: ReadonlySet<string>;
  observers: readonly NodeRequestObserver[];
  isDraining?: (() => boolean) | undefined;
  maxBodyBytes: number;
  accessLog?: AccessLogMode | undefined;
  onUnexpectedError?:
    | ((error: unknown, context: { requestId: string; method: string; route: string }) => void)
    | undefined;
}

/**
 * Serves the Node routes of an HTTP app on Node's request and response,
 * giving them what the app's Hono middleware gives every other route: the
 * request id (`X-Request-Id` on the response, `request_id` on every log
 * line), the access log line, the body cap (handed to the route, which
 * refuses a body over it, declared or while reading), the metrics, `Connection: close` while draining, and the error envelope.
 */
export function createNodeDispatcher(options: NodeDispatcherOptions): NodeDispatcher {
  const routes = options.routes.map((route) => ({ route, match: matchTemplate(route.path) }));
  const { log } = options;

  async function serve(
    route: NodeRoute,
    params: Record<string, string>,
    path: string,
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<void> {
    const requestId = resolveRequestId(req.headers["x-request-id"] as string | undefined);
    const started = performance.now();
    res.setHeader("X-Request-Id", requestId);
    if (options.isDraining?.()) res.setHeader("Connection", "close");
    const observed = options.observers.map((observe) => observe(req.method ?? "GET", path));
    await runWithLogContext({ request_id: requestId }, async () => {
      try {
        // The route refuses a body over the cap itself, declared or while
        // reading: its refusal then reaches its own records (the inbox's
        // metrics and rejection list), which a 413 answered here would skip.
        await route.handle(req, res, { requestId, params, maxBodyBytes: options.maxBodyBytes });
      } catch (thrown) {
        answerError(thrown, requestId, res, { method: req.method ?? "GET", route: route.path });
      }
      for (const done of observed) done?.(route.path, res.statusCode);
      logRequest(
        log,
        options.quiet,
        path,
        {
          method: req.method,
          route: route.path,
          status: res.statusCode,
          started,
          headers: () => loggableHeaders(req.headers),
        },
        options.accessLog,
      );
    });
  }

  // What the app's onError does for a Hono route.
  function answerError(
    thrown: unknown,
    requestId: string,
    res: ServerResponse,
    request: { method: string; route: string },
  ): void {
    const error = reportRequestError(log, thrown);
    if (error.unexpected) options.onUnexpectedError?.(thrown, { requestId, ...request });
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.writeHead(error.status, {
      "content-type": "application/json",
      ...(error.status === 503 ? { "retry-after": RETRY_AFTER_SECONDS } : {}),
    });
    res.end(JSON.stringify(errorEnvelope(error, requestId)));
  }

  return (req, res) => {
    const url = req.url ?? "";
    if (!url.startsWith("/")) return false;
    const query = url.indexOf("?");
    const path = query === -1 ? url : url.slice(0, query);
    for (const { route, match } of routes) {
      if (route.method !== req.method) continue;
      const params = match(path);
      if (params === undefined) continue;
      void serve(route, params, path, req, res);
      return true;
    }
    return false;
  };
}
