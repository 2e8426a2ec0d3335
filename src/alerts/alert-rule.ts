import type { Registry } from "prom-client";
import type { Pool } from "../db/index.js";
import type { Health } from "../health/index.js";
import type { MigrationSource } from "../migrate/index.js";
import { OpskitError } from "../errors.js";
import type { SeriesWindow } from "./series-window.js";

/** How loud an alert is; `none` is for the Watchdog (routed to machines, not people). */
export type AlertSeverity = "critical" | "warning" | "info" | "none";
export const ALERT_SEVERITIES: readonly AlertSeverity[] = ["critical", "warning", "info", "none"];

/** One series of a rule's result: its labels and value. Present = the condition holds. */
export interface AlertSample {
  labels?: Record<string, string>;
  value: number;
}

/** What a rule reads while it is evaluated (on the leader only). */
export interface RuleContext {
  pool: Pool;
  /** The evaluating process's metrics registry. */
  registry: Registry | undefined;
  /** The evaluating process's health (readiness). */
  health: Health | undefined;
  /** Every migration directory the service declared. */
  migrations: readonly MigrationSource[];
  /** Remembers values across rounds, for growth and counter rates (kept by the leader in memory). */
  series: SeriesWindow;
  /** The round's clock, epoch ms. */
  now: number;
  /**
   * One read shared by every rule of the round (`once("jobs.stats", () =>
   * jobs.stats())`): three rules over the queue's depth cost one query.
   */
  once<T>(key: string, read: () => Promise<T>): Promise<T>;
}

/**
 * An alerting rule (Prometheus semantics). `evaluate` returns the series for
 * which the condition holds now; each becomes pending, then firing after
 * `forMs`, stays firing `keepFiringForMs` after it is last seen, then resolves.
 */
export interface AlertRule {
  /** The `alertname` label, CamelCase (`JobsStuck`). */
  readonly name: string;
  readonly severity: AlertSeverity;
  /** One line; `{{ $labels.x }}` and `{{ $value }}` are filled in. */
  readonly summary: string;
  readonly description: string;
  /** Where the operator reads what to do (docs/runbooks/…). */
  readonly runbookUrl?: string | undefined;
  /** Extra labels on every alert of the rule (`team: "bakery"`). */
  readonly labels?: Readonly<Record<string, string>> | undefined;
  /** How long the condition holds before the alert fires; default 0 (at once). */
  readonly forMs?: number | undefined;
  /** How long a firing alert stays firing after its condition is gone; default 0. */
  readonly keepFiringForMs?: number | undefined;
  /** Repeat a still-firing group this often instead of the receiver's repeat interval (the Watchdog). */
  readonly repeatIntervalMs?: number | undefined;
  evaluate(ctx: RuleContext): Promise<AlertSample[]> | AlertSample[];
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]{0,99}$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * Checks a rule and returns it frozen; `ALERT_RULE_INVALID` names what is wrong.
 *
 * @example
 * const ordersStuck = defineRule({
 *   name: "OrdersStuck", severity: "warning", forMs: 600_000,
 *   summary: "{{ $value }} orders stuck in {{ $labels.stage }}", description: "…",
 *   evaluate: async ({ pool }) => (await pool.query("select …")).rows,
 * });
 */
export function defineRule(rule: AlertRule): AlertRule {
  const problem = (what: string) =>
    new OpskitError("ALERT_RULE_INVALID", `Alert rule "${rule.name}": ${what}.`);
  if (!NAME.test(rule.name)) throw problem("the name must be letters, digits and _ (CamelCase)");
  if (!ALERT_SEVERITIES.includes(rule.severity))
    throw problem(`severity must be one of ${ALERT_SEVERITIES.join(", ")}`);
  for (const key of Object.keys(rule.labels ?? {})) {
    if (!LABEL.test(key)) throw problem(`label "${key}" is not a valid label name`);
    if (key === "alertname" || key === "severity") throw problem(`label "${key}" is reserved`);
  }
  for (const [what, ms] of [
    ["forMs", rule.forMs],
    ["keepFiringForMs", rule.keepFiringForMs],
    ["repeatIntervalMs", rule.repeatIntervalMs],
  ] as const) {
    if (ms !== undefined && !(Number.isFinite(ms) && ms >= 0))
      throw problem(`${what} must be >= 0`);
  }
  return Object.freeze({ ...rule });
}

/** Comparison of a value against a threshold. */
export type Comparison = ">" | ">=" | "<" | "<=" | "==" | "!=";

export function compare(value: number, op: Comparison, threshold: number): boolean {
  switch (op) {
    case ">":
      return value > threshold;
    case ">=":
      return value >= threshold;
    case "<":
      return value < threshold;
    case "<=":
      return value <= threshold;
    case "==":
      return value === threshold;
    case "!=":
      return value !== threshold;
  }
}

export type RuleBase = Omit<AlertRule, "evaluate">;

/**
 * A rule over a SQL query: every row is a series (its `value` column the
 * value, every other column a label); the alert holds where `value op
 * threshold` (default `> 0`). The query runs on the service's pool, on the
 * leader, once per evaluation: keep it indexed.
 *
 * @example
 * sqlRule({
 *   name: "OrdersStuckInStage", severity: "warning", forMs: 10 * 60_000,
 *   summary: "{{ $value }} orders stuck in {{ $labels.stage }}",
 *   description: "Orders have not left their stage for 2 hours.",
 *   sql: "select stage, count(*)::float8 as value from orders where stage <> 'Complete' and stage_since < now() - interval '2 hours' group by stage",
 *   threshold: 0,
 * });
 */
export function sqlRule(
  rule: RuleBase & { sql: string; params?: unknown[]; op?: Comparison; threshold?: number },
): AlertRule {
  const { sql, params, op = ">", threshold = 0, ...base } = rule;
  return defineRule({
    ...base,
    async evaluate({ pool }) {
      const { rows } = await pool.query<Record<string, unknown>>(sql, params ?? []);
      const samples: AlertSample[] = [];
      for (const row of rows) {
        const value = Number(row.value);
        if (!compare(value, op, threshold)) continue;
        const labels: Record<string, string> = {};
        for (const [k, v] of Object.entries(row)) {
          if (k !== "value" && v !== null && v !== undefined)
            labels[k] =
              v instanceof Date ? v.toISOString() : typeof v === "string" ? v : JSON.stringify(v);
        }
        samples.push({ labels, value });
      }
      return samples;
    },
  });
}

/**
 * A rule over a metric of the service's registry: per label set, its value
 * (gauges) or, with `rateWindowMs`, its increase over that window (counters,
 * as Prometheus' `increase()`; the first window after a leader change has
 * less history). `where` keeps only some label values.
 *
 * @example
 * metricRule({
 *   name: "ReceiptsFailing", severity: "warning", summary: "…", description: "…",
 *   metric: "bakery_receipts_failed_total", rateWindowMs: 300_000, op: ">", threshold: 10,
 * });
 */
export function metricRule(
  rule: RuleBase & {
    metric: string;
    where?: Record<string, string>;
    /** Sum over every label but these (default: keep every label). */
    by?: string[];
    rateWindowMs?: number;
    op?: Comparison;
    threshold?: number;
  },
): AlertRule {
  const { metric, where, by, rateWindowMs, op = ">", threshold = 0, ...base } = rule;
  return defineRule({
    ...base,
    async evaluate(ctx) {
      const values = await readMetric(ctx.registry, metric, where, by);
      const samples: AlertSample[] = [];
      for (const { labels, value: raw } of values) {
        const value =
          rateWindowMs === undefined
            ? raw
            : ctx.series.increase(`${metric}${JSON.stringify(labels)}`, raw, rateWindowMs, ctx.now);
        if (value !== undefined && compare(value, op, threshold)) samples.push({ labels, value });
      }
      return samples;
    },
  });
}

/** A metric's current values by label set (summed over the labels not in `by`, when given). */
export async function readMetric(
  registry: Registry | undefined,
  name: string,
  where: Record<string, string> = {},
  by?: string[],
): Promise<{ labels: Record<string, string>; value: number }[]> {
  // A histogram's `_count` series is read through its parent metric.
  const base = name.replace(/_count$|_sum$/, "");
  const metric = registry?.getSingleMetric(name) ?? registry?.getSingleMetric(base);
  if (!metric) return [];
  const { values } = await metric.get();
  const out = new Map<string, { labels: Record<string, string>; value: number }>();
  const metricName = (metric as unknown as { name: string }).name;
  for (const v of values) {
    // A histogram's values carry their series name (`…_count`); a counter's or gauge's do not.
    if (((v as { metricName?: string }).metricName ?? metricName) !== name) continue;
    const labels = Object.fromEntries(
      Object.entries(v.labels).map(([k, x]) => [k, String(x)]),
    ) as Record<string, string>;
    if (Object.entries(where).some(([k, x]) => labels[k] !== x)) continue;
    const kept = by
      ? Object.fromEntries(by.filter((k) => k in labels).map((k) => [k, labels[k]!]))
      : labels;
    const key = JSON.stringify(kept);
    const entry = out.get(key) ?? { labels: kept, value: 0 };
    entry.value += v.value;
    out.set(key, entry);
  }
  return [...out.values()];
}
