import { oldestTransaction } from "../../db/index.js";
import { migrationStatus } from "../../migrate/index.js";
import { readMetric } from "../alert-rule.js";
import type { BuiltinRuleSpec } from "./builtin-rule-spec.js";
import { prom } from "./jobs-rules.js";

const RUNBOOKS = "docs/runbooks";
const lastPending = new WeakMap<readonly unknown[], { at: number; pending: number }>();
const HTTP_COUNT = "http_server_request_duration_seconds_count";

/** The service's own rules: HTTP 5xx ratio, readiness, pending migrations, a long transaction, and the Watchdog. */
export const serviceRules: BuiltinRuleSpec[] = [
  {
    name: "HttpErrorRatioHigh",
    severity: "critical",
    forMs: 5 * 60_000,
    threshold: 0.05,
    windowMs: 5 * 60_000,
    summary: "{{ $value }} of HTTP requests answered 5xx",
    description:
      "More than the threshold of the service's HTTP requests over the window answered a server error (at least 20 requests).",
    runbook: `${RUNBOOKS}/http-errors.md`,
    promql: (o) =>
      `sum(rate(${HTTP_COUNT}{http_response_status_code=~"5.."}[${prom(o.windowMs!)}])) / sum(rate(${HTTP_COUNT}[${prom(o.windowMs!)}])) > ${o.threshold} and sum(increase(${HTTP_COUNT}[${prom(o.windowMs!)}])) >= 20`,
    evaluate: async (ctx, o) => {
      const series = await readMetric(ctx.registry, HTTP_COUNT, {}, ["http_response_status_code"]);
      let total = 0;
      let errors = 0;
      for (const s of series) {
        total += s.value;
        if (s.labels.http_response_status_code?.startsWith("5")) errors += s.value;
      }
      const t = ctx.series.increase("http:total", total, o.windowMs!, ctx.now);
      const e = ctx.series.increase("http:5xx", errors, o.windowMs!, ctx.now);
      if (t === undefined || e === undefined || t < 20) return [];
      const ratio = e / t;
      return ratio > o.threshold ? [{ value: Math.round(ratio * 1000) / 1000 }] : [];
    },
  },
  {
    name: "ReadinessFailing",
    severity: "critical",
    forMs: 2 * 60_000,
    threshold: 0,
    summary: "Readiness failing: {{ $labels.check }}",
    description:
      "A critical readiness check of the evaluating process fails ({{ $labels.check }}): the instance is out of rotation.",
    runbook: `${RUNBOOKS}/readiness-failing.md`,
    promql: null,
    evaluate: (ctx) => {
      const snapshot = ctx.health?.snapshot();
      if (!snapshot || snapshot.state !== "ready") return [];
      return snapshot.checks
        .filter((c) => c.status === "fail" && c.slot.check.critical !== false)
        .map((c) => ({ labels: { check: c.key }, value: 1 }));
    },
  },
  {
    name: "MigrationsPending",
    severity: "warning",
    forMs: 15 * 60_000,
    threshold: 0,
    summary: "{{ $value }} migrations pending",
    description:
      "Migrations declared by the running code are not applied after the threshold time: role migrate did not run or failed in this deploy.",
    runbook: `${RUNBOOKS}/failed-migration.md`,
    // The files and the history are read at most once per window (default a
    // minute: the `for` is 15): between, the last count stands.
    windowMs: 60_000,
    promql: null,
    evaluate: async (ctx, o) => {
      if (ctx.migrations.length === 0) return [];
      const last = lastPending.get(ctx.migrations);
      let pending = last?.pending ?? 0;
      if (!last || ctx.now - last.at >= (o.windowMs ?? 0)) {
        const status = await migrationStatus({ db: ctx.pool, sources: [...ctx.migrations] });
        pending = status.files.filter((f) => f.state !== "applied").length;
        lastPending.set(ctx.migrations, { at: ctx.now, pending });
      }
      return pending > o.threshold ? [{ value: pending }] : [];
    },
  },
  {
    name: "LongTransaction",
    severity: "warning",
    forMs: 60_000,
    threshold: 300,
    summary: "A transaction of {{ $labels.application }} has been open {{ $value }} s",
    description:
      "A transaction of this database ({{ $labels.application }}, {{ $labels.state }}) has held a snapshot for longer than the threshold (seconds). Until it ends, rows deleted or updated since it began cannot be cleaned up: the job queue's claims slow down (a snapshot held during a drain took a worker from 29k to 16k jobs/s) and tables bloat.",
    runbook: `${RUNBOOKS}/long-transaction.md`,
    promql: null,
    evaluate: async (ctx, o) => {
      const oldest = await oldestTransaction(ctx.pool);
      if (oldest === undefined || oldest.ageSeconds <= o.threshold) return [];
      return [
        {
          labels: {
            application: oldest.applicationName || "unnamed",
            state: oldest.state ?? "unknown",
          },
          value: Math.round(oldest.ageSeconds),
        },
      ];
    },
  },
  {
    name: "Watchdog",
    severity: "none",
    forMs: 0,
    threshold: 0,
    repeatIntervalMs: 60_000,
    summary: "The alerting pipeline is alive",
    description:
      "Always firing. An external dead-man's switch expects it every minute; its absence means the evaluator or the notifications are broken.",
    runbook: `${RUNBOOKS}/watchdog.md`,
    promql: () => "vector(1)",
    evaluate: () => [{ value: 1 }],
  },
];
