import type { MiddlewareHandler } from "hono";
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import { normalizeMethod, routeTemplate } from "./http-labels.js";
import { createSeriesCap } from "./series-cap.js";

// The Node twins of the middlewares made here (see nodeRequestObserverOf).
const nodeObservers = new WeakMap<MiddlewareHandler, NodeRequestObserver>();

/** OpenTelemetry's advised buckets for `http.server.request.duration`, in seconds. */
export const HTTP_DURATION_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
];

/** Probe and scrape paths, left out of the HTTP metrics by default (see docs/metrics.md). */
export const PROBE_PATHS = ["/livez", "/readyz", "/health", "/metrics"];

export interface HttpMetricsOptions {
  registry: Registry;
  /** Prepended to the metric names; default "". */
  prefix?: string;
  /** Request paths not measured at all; default PROBE_PATHS. */
  excludePaths?: string[];
  /** Most label sets the duration histogram keeps; default 1000. */
  maxSeries?: number;
}

/**
 * The HTTP server metrics (OpenTelemetry semconv names in Prometheus form)
 * and the Hono middleware that records them:
 * `http_server_request_duration_seconds{http_request_method,http_route,http_response_status_code}`
 * and `http_server_active_requests{http_request_method}`.
 *
 * @example
 * const { middleware } = createHttpMetrics({ registry });
 * app.use("*", middleware);
 */
export function createHttpMetrics(options: HttpMetricsOptions): { middleware: MiddlewareHandler } {
  const prefix = options.prefix ?? "";
  const registers = [options.registry];
  const durationName = `${prefix}http_server_request_duration_seconds`;
  const duration = new Histogram({
    name: durationName,
    help: "Duration of HTTP server requests, by method, route template and status code.",
    labelNames: ["http_request_method", "http_route", "http_response_status_code"] as const,
    buckets: HTTP_DURATION_BUCKETS,
    registers,
  });
  const active = new Gauge({
    name: `${prefix}http_server_active_requests`,
    help: "HTTP server requests being handled now.",
    labelNames: ["http_request_method"] as const,
    registers,
  });
  const dropped = new Counter({
    name: "opskit_metrics_series_dropped_total",
    help: "Observations dropped because their metric reached its series cap.",
    labelNames: ["metric"] as const,
    registers,
  });
  const cap = createSeriesCap(options.maxSeries ?? 1000);
  const excluded = new Set(options.excludePaths ?? PROBE_PATHS);

  const finish = (method: string, route: string, status: number, started: number) => {
    active.dec({ http_request_method: method });
    const labels = {
      http_request_method: method,
      http_route: route,
      http_response_status_code: String(status),
    };
    if (cap.admit(labels)) duration.observe(labels, (performance.now() - started) / 1000);
    else dropped.inc({ metric: durationName });
  };
  const middleware: MiddlewareHandler = async (c, next) => {
    if (excluded.has(c.req.path)) return next();
    const method = normalizeMethod(c.req.method);
    active.inc({ http_request_method: method });
    const started = performance.now();
    // Hono turns handler errors into responses before they reach us; a 500 is
    // only assumed when something throws past the app's error handler.
    let status = 500;
    try {
      await next();
      status = c.res.status;
    } finally {
      finish(method, routeTemplate(c), status, started);
    }
  };
  // The same measurements for a request the HTTP app serves outside Hono (a Node route).
  nodeObservers.set(middleware, (rawMethod, path) => {
    if (excluded.has(path)) return undefined;
    const method = normalizeMethod(rawMethod);
    active.inc({ http_request_method: method });
    const started = performance.now();
    return (route, status) => finish(method, route, status, started);
  });
  return { middleware };
}

/**
 * What a middleware measures, for a request served outside Hono: called when
 * the request starts with its method and path; the function it returns is
 * called with the route template and status once the response is written.
 */
export type NodeRequestObserver = (
  method: string,
  path: string,
) => ((route: string, status: number) => void) | undefined;

/**
 * The Node twin of an HTTP metrics middleware (see `createHttpMetrics`), or
 * undefined for any other middleware: the HTTP app serves a route outside
 * Hono only when every middleware it runs has one.
 */
export function nodeRequestObserverOf(
  middleware: MiddlewareHandler,
): NodeRequestObserver | undefined {
  return nodeObservers.get(middleware);
}
