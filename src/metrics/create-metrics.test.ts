import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Hono } from "hono";
import { register as globalRegistry, type Registry } from "prom-client";
import { createMetrics, type CreateMetricsOptions } from "./create-metrics.js";
import { HTTP_DURATION_BUCKETS } from "./http-metrics.js";

interface Series {
  labels: Record<string, string | number>;
  value: number;
  metricName?: string;
}

async function seriesOf(registry: Registry, name: string): Promise<Series[]> {
  const metric = registry.getSingleMetric(name);
  assert.ok(metric, `${name} is not registered`);
  return (await metric.get()).values as Series[];
}

/** Observation counts of the duration histogram, keyed "METHOD route status". */
async function requestCounts(registry: Registry): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const s of await seriesOf(registry, "http_server_request_duration_seconds")) {
    if (s.metricName !== "http_server_request_duration_seconds_count") continue;
    const key = `${s.labels.http_request_method} ${s.labels.http_route} ${s.labels.http_response_status_code}`;
    counts[key] = s.value;
  }
  return counts;
}

/** An app shaped like the service's: metrics middleware on the root, routes on a mounted sub-app. */
function serviceApp(options: CreateMetricsOptions = {}) {
  const metrics = createMetrics({ defaultMetrics: false, ...options });
  const app = new Hono();
  app.use("*", metrics.httpMetrics());
  const api = new Hono();
  api.use("/orders/*", async (c, next) => {
    if (c.req.header("authorization") !== "Bearer ok") return c.text("no", 401);
    await next();
  });
  api.get("/orders/:id", (c) => c.json({ id: c.req.param("id") }));
  api.get("/boom", () => {
    throw new Error("boom");
  });
  app.route("/api", api);
  app.get("/livez", (c) => c.text("ok"));
  app.route("/", metrics.app);
  return { app, metrics };
}

const auth = { headers: { authorization: "Bearer ok" } };

describe("createMetrics", () => {
  test("GET /metrics serves its own registry in the Prometheus text format", async () => {
    const metrics = createMetrics();
    const res = await metrics.app.request("/metrics");
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), metrics.registry.contentType);
    const text = await res.text();
    assert.match(text, /^# TYPE process_cpu_seconds_total counter$/m);
    assert.match(text, /^# TYPE http_server_request_duration_seconds histogram$/m);
    assert.match(text, /^# TYPE http_server_active_requests gauge$/m);
    assert.equal(globalRegistry.getSingleMetric("http_server_request_duration_seconds"), undefined);
    metrics.close();
    assert.equal(metrics.registry.getMetricsAsArray().length, 0);
  });

  test("defaultMetrics: false leaves the process metrics out; prefix applies to the standard names", async () => {
    const bare = createMetrics({ defaultMetrics: false });
    assert.equal(bare.registry.getSingleMetric("process_cpu_seconds_total"), undefined);
    const prefixed = createMetrics({ prefix: "bakery_" });
    assert.ok(prefixed.registry.getSingleMetric("bakery_process_cpu_seconds_total"));
    assert.ok(prefixed.registry.getSingleMetric("bakery_http_server_request_duration_seconds"));
  });

  test("the duration histogram uses OpenTelemetry's advised buckets", async () => {
    const { app, metrics } = serviceApp();
    await app.request("/api/orders/1", auth);
    const buckets = (await seriesOf(metrics.registry, "http_server_request_duration_seconds"))
      .filter((s) => s.metricName?.endsWith("_bucket") && s.labels.le !== "+Inf")
      .map((s) => Number(s.labels.le));
    assert.deepEqual(buckets, HTTP_DURATION_BUCKETS);
    assert.deepEqual(
      HTTP_DURATION_BUCKETS,
      [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10],
    );
  });
});

describe("http metrics labels", () => {
  test("two ids on one route make one series labelled with the route template", async () => {
    const { app, metrics } = serviceApp();
    assert.equal((await app.request("/api/orders/123", auth)).status, 200);
    assert.equal((await app.request("/api/orders/456", auth)).status, 200);
    assert.deepEqual(await requestCounts(metrics.registry), { "GET /api/orders/:id 200": 2 });
    const text = await (await app.request("/metrics")).text();
    assert.doesNotMatch(text, /orders\/123|orders\/456/);
  });

  test("a middleware that answers early is labelled with the route it guarded", async () => {
    const { app, metrics } = serviceApp();
    assert.equal((await app.request("/api/orders/1")).status, 401);
    assert.deepEqual(await requestCounts(metrics.registry), { "GET /api/orders/:id 401": 1 });
  });

  test("unmatched paths share one 'unmatched' route, even under a wildcard middleware", async () => {
    const { app, metrics } = serviceApp();
    assert.equal((await app.request("/wp-admin/setup.php")).status, 404);
    assert.equal((await app.request("/api/orders/1/extra", auth)).status, 404);
    assert.deepEqual(await requestCounts(metrics.registry), { "GET unmatched 404": 2 });
  });

  test("a handler error is recorded as 500 on its route", async () => {
    const { app, metrics } = serviceApp();
    assert.equal((await app.request("/api/boom")).status, 500);
    assert.deepEqual(await requestCounts(metrics.registry), { "GET /api/boom 500": 1 });
  });

  test("unknown methods become _OTHER; HEAD stays HEAD", async () => {
    const { app, metrics } = serviceApp();
    await app.request("/api/orders/1", { method: "PURGE", ...auth });
    await app.request("/api/orders/1", { method: "HEAD", ...auth });
    assert.deepEqual(await requestCounts(metrics.registry), {
      "_OTHER unmatched 404": 1,
      "HEAD /api/orders/:id 200": 1,
    });
  });

  test("probe and scrape paths are left out by default and can be included", async () => {
    const excluded = serviceApp();
    await excluded.app.request("/livez");
    await excluded.app.request("/metrics");
    assert.deepEqual(await requestCounts(excluded.metrics.registry), {});

    const included = serviceApp({ excludePaths: [] });
    await included.app.request("/livez");
    assert.deepEqual(await requestCounts(included.metrics.registry), { "GET /livez 200": 1 });
  });

  test("http_server_active_requests counts requests in flight", async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const app = new Hono();
    app.use("*", metrics.httpMetrics());
    let entered!: () => void;
    const inside = new Promise<void>((resolve) => (entered = resolve));
    let finish!: () => void;
    const finished = new Promise<void>((resolve) => (finish = resolve));
    app.get("/slow", async (c) => {
      entered();
      await finished;
      return c.text("done");
    });
    const active = async () =>
      (await seriesOf(metrics.registry, "http_server_active_requests")).find(
        (s) => s.labels.http_request_method === "GET",
      )?.value;

    const response = app.request("/slow");
    await inside;
    assert.equal(await active(), 1);
    finish();
    await response;
    assert.equal(await active(), 0);
  });

  test("the series cap drops new label sets past the limit and counts them", async () => {
    const { app, metrics } = serviceApp({ maxSeries: 2 });
    await app.request("/api/orders/1", auth); // series 1
    await app.request("/api/orders/2"); // series 2 (401)
    await app.request("/nowhere"); // series 3: dropped
    await app.request("/api/orders/3", auth); // series 1 again: kept
    assert.deepEqual(await requestCounts(metrics.registry), {
      "GET /api/orders/:id 200": 2,
      "GET /api/orders/:id 401": 1,
    });
    const dropped = await seriesOf(metrics.registry, "opskit_metrics_series_dropped_total");
    assert.deepEqual(
      dropped.map((s) => [s.labels.metric, s.value]),
      [["http_server_request_duration_seconds", 1]],
    );
  });
});
