import { createInboxAdmin } from "../../inbox/index.js";
import type { BuiltinRuleSpec } from "./builtin-rule-spec.js";
import { prom } from "./jobs-rules.js";

const RUNBOOKS = "docs/runbooks";

/** The webhook inbox's rules: verification and processing failures per source, backlog age, long pauses. */
export const inboxRules: BuiltinRuleSpec[] = [
  {
    name: "WebhookVerificationFailures",
    severity: "warning",
    forMs: 0,
    threshold: 5,
    windowMs: 5 * 60_000,
    summary: "Source {{ $labels.source }}: {{ $value }} webhook requests failed verification",
    description:
      "Requests to source {{ $labels.source }} were refused by signature verification within the window: a rotated secret not configured yet, a misconfigured sender, or forged traffic.",
    runbook: `${RUNBOOKS}/webhook-verification-failures.md`,
    promql: (o) =>
      `sum by (source) (increase(opskit_inbox_unverified_total[${prom(o.windowMs!)}])) > ${o.threshold}`,
    evaluate: async (ctx, o) =>
      (await createInboxAdmin(ctx.pool).failureCounts(o.windowMs!))
        .filter((f) => f.unverified > o.threshold)
        .map((f) => ({ labels: { source: f.source }, value: f.unverified })),
  },
  {
    name: "WebhookProcessingFailures",
    severity: "warning",
    forMs: 0,
    threshold: 0,
    windowMs: 60 * 60_000,
    summary: "Source {{ $labels.source }}: {{ $value }} recent webhook events failing or dead",
    description:
      "Events of source {{ $labels.source }} received within the window failed processing (a retry is scheduled) or died: the handler or a dependency is failing.",
    runbook: `${RUNBOOKS}/webhook-replay.md`,
    promql: (o) =>
      `sum by (source) (increase(opskit_inbox_processing_total{outcome=~"failed|dead"}[${prom(o.windowMs!)}])) > ${o.threshold}`,
    evaluate: async (ctx, o) =>
      (await createInboxAdmin(ctx.pool).failureCounts(o.windowMs!))
        .filter((f) => f.failed + f.dead > o.threshold)
        .map((f) => ({ labels: { source: f.source }, value: f.failed + f.dead })),
  },
  {
    name: "InboxBacklogOld",
    severity: "warning",
    forMs: 5 * 60_000,
    threshold: 600,
    summary: "The oldest unprocessed webhook event has waited {{ $value }} s",
    description:
      "Stored webhook events are not being processed: workers down, a source paused, or processing slower than arrivals.",
    runbook: `${RUNBOOKS}/inbox-backlog.md`,
    promql: null,
    evaluate: async (ctx, o) => {
      const age = (await createInboxAdmin(ctx.pool).overview()).oldest_backlog_seconds ?? 0;
      return age > o.threshold ? [{ value: Math.round(age) }] : [];
    },
  },
  {
    name: "WebhookSourcePaused",
    severity: "warning",
    forMs: 0,
    threshold: 3600,
    summary: "Source {{ $labels.source }} has been paused for {{ $value }} s",
    description:
      "Processing of source {{ $labels.source }} was paused longer than the threshold: its events are stored but not processed.",
    runbook: `${RUNBOOKS}/pause-a-webhook-source.md`,
    promql: null,
    evaluate: async (ctx, o) =>
      (await createInboxAdmin(ctx.pool).listSources()).flatMap((s) => {
        if (!s.paused || !s.paused_at) return [];
        const seconds = Math.round((ctx.now - s.paused_at.getTime()) / 1000);
        return seconds > o.threshold
          ? [{ labels: { source: s.name, paused_by: s.paused_by ?? "" }, value: seconds }]
          : [];
      }),
  },
];
