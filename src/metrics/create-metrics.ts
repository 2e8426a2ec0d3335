import { Hono, type MiddlewareHandler } from "hono";
import { collectDefaultMetrics, Registry } from "prom-client";
import { createHttpMetrics } from "./http-metrics.js";

export interface CreateMetricsOptions {
  /** Process and Node.js runtime metrics (`process_*`, `nodejs_*`); default true. */
  defaultMetrics?: boolean;
  /**
   * Prepended to the default and HTTP metric names (`bakery_process_cpu_seconds_total`);
   * default "". Only for merging several registries in one process: standard
   * dashboards expect the unprefixed names.
   */
  prefix?: string;
  /** Request paths left out of the HTTP metrics; default the probe and scrape paths. */
  excludePaths?: string[];
  /** Most label sets the HTTP duration histogram keeps; default 1000. */
  maxSeries?: number;
  /** Labels added to every series, e.g. `{ service: "bakery" }`. */
  defaultLabels?: Record<string, string>;
}

export interface Metrics {
  /** This service's own registry (never prom-client's global one); register your metrics here. */
  registry: Registry;
  /** The middleware that records the HTTP server metrics; mount with `app.use("*", …)` before the routes. */
  httpMetrics(): MiddlewareHandler;
  /** `GET /metrics` in the Prometheus text format. */
  app: Hono;
  /** Removes every metric from the registry. */
  close(): void;
}

/**
 * A Prometheus registry with the process metrics and the HTTP server metrics,
 * and the `/metrics` route that exposes it.
 *
 * @example
 * const metrics = createMetrics();
 * app.use("*", metrics.httpMetrics());
 * app.route("/", metrics.app);
 * const jobsDone = new Counter({ name: "opskit_jobs_completed_total", help: "…", registers: [metrics.registry] });
 */
export function createMetrics(options: CreateMetricsOptions = {}): Metrics {
  const registry = new Registry();
  if (options.defaultLabels) registry.setDefaultLabels(options.defaultLabels);
  if (options.defaultMetrics ?? true) {
    collectDefaultMetrics({ register: registry, prefix: options.prefix ?? "" });
  }
  const http = createHttpMetrics({
    registry,
    ...(options.prefix === undefined ? {} : { prefix: options.prefix }),
    ...(options.excludePaths === undefined ? {} : { excludePaths: options.excludePaths }),
    ...(options.maxSeries === undefined ? {} : { maxSeries: options.maxSeries }),
  });

  const app = new Hono();
  app.get("/metrics", async (c) =>
    c.body(await registry.metrics(), 200, {
      "content-type": registry.contentType,
      "cache-control": "no-store",
    }),
  );

  return {
    registry,
    httpMetrics: () => http.middleware,
    app,
    close: () => registry.clear(),
  };
}
