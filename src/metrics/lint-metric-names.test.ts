import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { createMetrics } from "./create-metrics.js";
import { checkMetricName, lintMetricNames, type MetricNameRule } from "./lint-metric-names.js";

function rules(name: string, counter = false, labelNames: string[] = [], prefixes?: string[]) {
  return checkMetricName(name, { counter, labelNames }, prefixes ? { prefixes } : {}).map(
    (p) => p.rule,
  );
}

describe("lintMetricNames", () => {
  test("every metric createMetrics ships passes", () => {
    const metrics = createMetrics();
    assert.ok(metrics.registry.getMetricsAsArray().length > 20);
    assert.deepEqual(lintMetricNames(metrics.registry), []);
  });

  test("a custom prefix passes when it is declared", () => {
    const metrics = createMetrics({ prefix: "bakery_" });
    assert.deepEqual(lintMetricNames(metrics.registry, { prefixes: ["opskit_", "bakery_"] }), []);
    assert.ok(lintMetricNames(metrics.registry).some((p) => p.rule === "prefix"));
  });

  test("reports bad names registered in a registry", () => {
    const registry = new Registry();
    const registers = [registry];
    new Gauge({ name: "opskit_latency_ms", help: "x", registers });
    new Counter({ name: "opskit_jobs_completed", help: "x", registers });
    new Histogram({ name: "opskit_jobs_duration_seconds", help: "x", registers });
    const problems = lintMetricNames(registry);
    const byMetric = (name: string) => problems.filter((p) => p.metric === name).map((p) => p.rule);
    assert.deepEqual(byMetric("opskit_latency_ms"), ["base-unit-seconds", "duration-seconds"]);
    assert.deepEqual(byMetric("opskit_jobs_completed"), ["counter-total"]);
    assert.deepEqual(byMetric("opskit_jobs_duration_seconds"), []);
    assert.ok(problems.every((p) => p.message.length > 0));
  });

  const cases: [name: string, expected: MetricNameRule[], counter?: boolean][] = [
    ["opskit_jobs_done_total", [], true],
    ["opskitJobsDone_total", ["snake-case"], true],
    ["opskit__jobs_total", ["snake-case"], true],
    ["opskit_queue_depth_total", ["total-only-on-counters"]],
    ["opskit_request_milliseconds", ["base-unit-seconds"]],
    ["opskit_wait_time", ["duration-seconds"]],
    ["opskit_backup_age_seconds", []],
    ["opskit_backup_size_mb", ["base-unit-bytes", "size-bytes"]],
    ["opskit_backup_size_bytes", []],
    ["opskit_pool_size", ["size-bytes"]],
    ["jobs_done_total", ["prefix"], true],
    ["opskit_opskit_jobs_done_total", ["single-prefix"], true],
    ["nodejs_active_handles_total", []],
    ["nodejs_custom_thing_total", ["total-only-on-counters"]],
  ];
  for (const [name, expected, counter] of cases) {
    test(`${name} → ${expected.length ? expected.join(", ") : "ok"}`, () => {
      assert.deepEqual(rules(name, counter ?? false), expected);
    });
  }

  test("a label name inside the metric name is reported (not for _info metrics)", () => {
    assert.deepEqual(rules("opskit_jobs_by_queue_total", true, ["queue"]), ["label-in-name"]);
    assert.deepEqual(rules("opskit_jobs_total", true, ["queue"]), []);
    assert.deepEqual(rules("opskit_build_info", false, ["version"]), []);
    assert.deepEqual(rules("opskit_request_duration_seconds", false, ["le"]), []);
  });
});
