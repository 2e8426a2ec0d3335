import { Counter, type Registry } from "prom-client";

export type MetricNameRule =
  | "snake-case"
  | "counter-total"
  | "total-only-on-counters"
  | "base-unit-seconds"
  | "duration-seconds"
  | "base-unit-bytes"
  | "size-bytes"
  | "prefix"
  | "single-prefix"
  | "label-in-name";

export interface MetricNameProblem {
  metric: string;
  rule: MetricNameRule;
  message: string;
}

export interface LintMetricNamesOptions {
  /** Application/toolkit prefixes a name may start with; default ["opskit_"]. */
  prefixes?: string[];
}

/** Prefixes of names defined by standards and client libraries; allowed as they are. */
const STANDARD_PREFIXES = ["process_", "nodejs_", "http_server_"];

// Names shipped by prom-client's default metrics that predate the conventions.
// They are what every Node dashboard queries, so renaming them would hurt more.
const UPSTREAM_EXCEPTIONS: Record<string, MetricNameRule[]> = {
  nodejs_active_handles_total: ["total-only-on-counters"],
  nodejs_active_requests_total: ["total-only-on-counters"],
  nodejs_active_resources_total: ["total-only-on-counters"],
  nodejs_heap_space_size_total_bytes: ["label-in-name"],
  nodejs_heap_space_size_used_bytes: ["label-in-name"],
  nodejs_heap_space_size_available_bytes: ["label-in-name"],
};

const NON_BASE_TIME = new Set([
  "ms",
  "msec",
  "millis",
  "milliseconds",
  "us",
  "micros",
  "microseconds",
  "ns",
  "nanos",
  "nanoseconds",
  "minutes",
  "hours",
  "days",
]);
const NON_BASE_SIZE = new Set([
  "kb",
  "mb",
  "gb",
  "kib",
  "mib",
  "gib",
  "kilobytes",
  "megabytes",
  "gigabytes",
  "bits",
]);
const TIME_WORDS = new Set(["duration", "latency", "elapsed", "time", "lag", "age"]);
const SIZE_WORDS = new Set(["size", "memory"]);
// Labels that Prometheus adds itself to histograms and summaries.
const RESERVED_LABELS = new Set(["le", "quantile"]);

function containsRun(tokens: string[], run: string[]): boolean {
  for (let i = 0; i + run.length <= tokens.length; i++) {
    if (run.every((t, j) => tokens[i + j] === t)) return true;
  }
  return false;
}

function labelNamesOf(metric: unknown): string[] {
  const names = (metric as { labelNames?: unknown }).labelNames;
  return Array.isArray(names) ? names.filter((n): n is string => typeof n === "string") : [];
}

/**
 * The problems of one metric name against the Prometheus naming conventions.
 *
 * @example
 * checkMetricName("opskit_latency_ms", { counter: false, labelNames: [] });
 * // [{ rule: "base-unit-seconds", … }, { rule: "duration-seconds", … }]
 */
export function checkMetricName(
  name: string,
  metric: { counter: boolean; labelNames: string[] },
  options: LintMetricNamesOptions = {},
): MetricNameProblem[] {
  const prefixes = options.prefixes ?? ["opskit_"];
  const problems: MetricNameProblem[] = [];
  const add = (rule: MetricNameRule, message: string) =>
    problems.push({ metric: name, rule, message });

  if (!/^[a-z][a-z0-9]*(_[a-z0-9]+)*$/.test(name)) {
    add("snake-case", "use lower snake_case: [a-z0-9] words joined by single underscores");
    return problems;
  }

  // A custom prefix may stand before a standard one (createMetrics({ prefix })).
  const own = prefixes.find((p) => name.startsWith(p));
  const afterOwn = own ? name.slice(own.length) : name;
  const standard = STANDARD_PREFIXES.find((p) => afterOwn.startsWith(p));
  if (!own && !standard) {
    add("prefix", `start with one of ${[...prefixes, ...STANDARD_PREFIXES].join(", ")}`);
  }
  if (own && !standard && prefixes.some((p) => afterOwn.startsWith(p))) {
    add("single-prefix", `"${own}" is followed by another prefix; use exactly one`);
  }
  const exempt = new Set(UPSTREAM_EXCEPTIONS[standard ? afterOwn : name] ?? []);
  const check = (rule: MetricNameRule, failed: boolean, message: string) => {
    if (failed && !exempt.has(rule)) add(rule, message);
  };

  const tokens = afterOwn.split("_");
  const endsTotal = name.endsWith("_total");
  const unitPart = endsTotal ? name.slice(0, -"_total".length) : name;
  check("counter-total", metric.counter && !endsTotal, "a counter's name ends in _total");
  check(
    "total-only-on-counters",
    !metric.counter && endsTotal,
    "only counters end in _total; a gauge names what it measures",
  );
  const timeUnit = tokens.find((t) => NON_BASE_TIME.has(t));
  check(
    "base-unit-seconds",
    timeUnit !== undefined,
    `"${timeUnit}" is not a base unit; measure time in seconds (_seconds)`,
  );
  check(
    "duration-seconds",
    tokens.some((t) => TIME_WORDS.has(t)) && !unitPart.endsWith("_seconds"),
    "a duration, latency or age ends in _seconds (or _seconds_total for a counter)",
  );
  const sizeUnit = tokens.find((t) => NON_BASE_SIZE.has(t));
  check(
    "base-unit-bytes",
    sizeUnit !== undefined,
    `"${sizeUnit}" is not a base unit; measure sizes in bytes (_bytes)`,
  );
  check(
    "size-bytes",
    tokens.some((t) => SIZE_WORDS.has(t)) && !unitPart.endsWith("_bytes"),
    "a size ends in _bytes; for a count, name the thing counted instead of 'size'",
  );
  // An _info metric carries its subject as labels by convention (`build_info{version}`).
  if (!name.endsWith("_info")) {
    for (const label of metric.labelNames) {
      if (RESERVED_LABELS.has(label)) continue;
      check(
        "label-in-name",
        containsRun(tokens, label.split("_")),
        `the label "${label}" is also in the name; aggregate over labels instead of naming them`,
      );
    }
  }
  return problems;
}

/**
 * Checks every metric in a registry against the Prometheus naming conventions
 * (snake_case; counters end `_total` and nothing else does; base units
 * `_seconds` / `_bytes`, never `_ms`; one application prefix or a standard
 * `process_` / `nodejs_` / `http_server_` name; no label name inside the
 * metric name). Returns the problems; an empty array means all is well.
 *
 * @example
 * const problems = lintMetricNames(metrics.registry);
 * for (const p of problems) console.error(`${p.metric}: ${p.rule}: ${p.message}`);
 */
export function lintMetricNames(
  registry: Registry,
  options: LintMetricNamesOptions = {},
): MetricNameProblem[] {
  return registry
    .getMetricsAsArray()
    .flatMap((metric) =>
      checkMetricName(
        metric.name,
        { counter: metric instanceof Counter, labelNames: labelNamesOf(metric) },
        options,
      ),
    );
}
