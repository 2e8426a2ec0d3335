import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { BUILTIN_RULES } from "./builtin-rules.js";
import { prometheusRules } from "./prometheus-rules.js";

const PROMTOOL = "/usr/bin/promtool";
// Without the binary the test skips locally and says so; in CI (CI set) it fails instead.
const skip =
  existsSync(PROMTOOL) || process.env.CI
    ? false
    : `${PROMTOOL} missing: apt-get install prometheus`;

// One fire and one resolve per rule of the pack that has a metric, with the
// pack's default thresholds and `for`: input series, then the alerts
// expected at a time when the condition has held long enough, and none at a
// time after it is gone.
const CASES: {
  alert: string;
  series: Record<string, string>;
  fireAt: string;
  labels: Record<string, string>;
  resolvedAt: string;
}[] = [
  {
    alert: "HttpErrorRatioHigh",
    series: {
      'http_server_request_duration_seconds_count{http_response_status_code="500"}':
        "0+10x20 200x20",
      'http_server_request_duration_seconds_count{http_response_status_code="200"}': "0+10x40",
    },
    fireAt: "15m",
    labels: { severity: "critical" },
    resolvedAt: "35m",
  },
  {
    alert: "JobBacklogGrowing",
    series: { 'opskit_jobs_depth{queue="mail",state="ready"}': "200+10x40 600x40" },
    fireAt: "35m",
    labels: { severity: "warning", queue: "mail", state: "ready" },
    resolvedAt: "75m",
  },
  {
    alert: "JobOldestReadyTooOld",
    series: { 'opskit_jobs_oldest_ready_age_seconds{queue="mail"}': "0+60x10 0x10" },
    fireAt: "9m",
    labels: { severity: "warning", queue: "mail" },
    resolvedAt: "15m",
  },
  {
    alert: "JobsStuck",
    series: { 'opskit_jobs_depth{queue="mail",state="stuck"}': "2x10 0x10" },
    fireAt: "5m",
    labels: { severity: "warning", queue: "mail", state: "stuck" },
    resolvedAt: "15m",
  },
  {
    alert: "JobsDead",
    series: { 'opskit_jobs_dead_total{task="mail"}': "0 0 0 1x30" },
    fireAt: "5m",
    labels: { severity: "warning", task: "mail" },
    resolvedAt: "20m",
  },
  {
    alert: "ScheduleMissed",
    series: { 'opskit_jobs_cron_late{schedule="nightly"}': "1x5 0x5" },
    fireAt: "3m",
    labels: { severity: "critical", schedule: "nightly" },
    resolvedAt: "8m",
  },
  {
    alert: "WebhookVerificationFailures",
    series: {
      'opskit_inbox_unverified_total{source="shop",reason="bad_signature"}': "0+10x10 100x10",
    },
    fireAt: "5m",
    labels: { severity: "warning", source: "shop" },
    resolvedAt: "18m",
  },
  {
    alert: "WebhookProcessingFailures",
    series: { 'opskit_inbox_processing_total{source="shop",outcome="dead"}': "0 1x100" },
    fireAt: "10m",
    labels: { severity: "warning", source: "shop" },
    resolvedAt: "90m",
  },
  {
    alert: "OutboxDeliveryLagging",
    series: { 'opskit_outbox_lag_seconds{stage="delivery"}': "0+60x30 0x10" },
    fireAt: "25m",
    labels: { severity: "warning" },
    resolvedAt: "38m",
  },
  {
    alert: "OutboxSlotLagHigh",
    series: { 'opskit_outbox_slot_lag_bytes{slot="opskit_outbox"}': "0+100000000x10 0x10" },
    fireAt: "9m",
    labels: { severity: "warning", slot: "opskit_outbox" },
    resolvedAt: "15m",
  },
];

test(
  "the Prometheus rule file of the built-in pack passes promtool check rules",
  { skip },
  async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "promtool-"));
    try {
      const file = path.join(dir, "opskit.yml");
      await writeFile(file, prometheusRules());
      const out = execFileSync(PROMTOOL, ["check", "rules", file], { encoding: "utf8" });
      const withMetric = BUILTIN_RULES.filter((r) => r.promql !== null).length;
      assert.match(out, new RegExp(`SUCCESS: ${withMetric} rules found`));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
);

test(
  "promtool test rules: every rule with a metric fires and resolves; the Watchdog always fires",
  { skip },
  async () => {
    const covered = new Set([...CASES.map((c) => c.alert), "Watchdog"]);
    assert.deepEqual(
      BUILTIN_RULES.filter((r) => r.promql !== null)
        .map((r) => r.name)
        .filter((n) => !covered.has(n)),
      [],
      "a case for every rule in the file",
    );
    const dir = await mkdtemp(path.join(os.tmpdir(), "promtool-"));
    try {
      await writeFile(path.join(dir, "rules.yml"), prometheusRules({ annotations: false }));
      const tests = CASES.map((c) =>
        [
          "  - interval: 1m",
          "    input_series:",
          ...Object.entries(c.series).map(
            ([s, v]) =>
              `      - series: ${JSON.stringify(s)}\n        values: ${JSON.stringify(v)}`,
          ),
          "    alert_rule_test:",
          `      - eval_time: ${c.fireAt}`,
          `        alertname: ${c.alert}`,
          "        exp_alerts:",
          `          - exp_labels: ${JSON.stringify(c.labels)}`,
          `      - eval_time: ${c.resolvedAt}`,
          `        alertname: ${c.alert}`,
          "        exp_alerts: []",
        ].join("\n"),
      );
      tests.push(
        [
          "  - interval: 1m",
          "    input_series: []",
          "    alert_rule_test:",
          "      - eval_time: 1m",
          "        alertname: Watchdog",
          "        exp_alerts:",
          '          - exp_labels: {"severity": "none"}',
        ].join("\n"),
      );
      await writeFile(
        path.join(dir, "tests.yml"),
        `rule_files: [rules.yml]\nevaluation_interval: 1m\ntests:\n${tests.join("\n")}\n`,
      );
      const out = execFileSync(PROMTOOL, ["test", "rules", "tests.yml"], {
        cwd: dir,
        encoding: "utf8",
      });
      assert.match(out, /SUCCESS/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
);
