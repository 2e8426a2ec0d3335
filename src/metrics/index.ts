export { createMetrics, type CreateMetricsOptions, type Metrics } from "./create-metrics.js";
export {
  createHttpMetrics,
  nodeRequestObserverOf,
  HTTP_DURATION_BUCKETS,
  type NodeRequestObserver,
  PROBE_PATHS,
  type HttpMetricsOptions,
} from "./http-metrics.js";
export { normalizeMethod, routeTemplate, UNMATCHED_ROUTE } from "./http-labels.js";
export {
  checkMetricName,
  lintMetricNames,
  type LintMetricNamesOptions,
  type MetricNameProblem,
  type MetricNameRule,
} from "./lint-metric-names.js";
export { createSeriesCap, type SeriesCap } from "./series-cap.js";
export { metricsPart } from "./metrics-part.js";
