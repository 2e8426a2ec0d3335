import { createInboxAdmin } from "../../inbox/index.js";
import type { BuiltinRuleSpec } from "./builtin-rule-spec.js";
import { backlog, prom } from "./jobs-rules.js";

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
      (
        await ctx.once(`inbox.failures.${o.windowMs}`, () =>
          createInboxAdmin(ctx.pool).failureCounts(o.windowMs!),
        )
      )
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
      (
        await ctx.once(`inbox.failures.${o.windowMs}`, () =>
          createInboxAdmin(ctx.pool).failureCounts(o.windowMs!),
        )
      )
        .filter((f) => f.failed + f.dead > o.threshold)
        .map((f) => ({ labels: { source: f.source }, value: f.failed + f.dead })),
  },
  {
    name: "InboxBacklogOld",
    severity: "warning",
    forMs: 5 * 60_000,
    threshold: 600,
    summary:
      "Source {{ $labels.source }}: the oldest unprocessed webhook event has waited {{ $value }} s",
    description:
      "Stored events of source {{ $labels.source }} are not being processed: workers down, the source paused, or processing slower than arrivals.",
    runbook: `${RUNBOOKS}/inbox-backlog.md`,
    promql: null,
    // An event's processing is a job of the queue inbox.<source> (docs/inbox.md):
    // the queue's oldest ready job is the source's oldest event due for processing.
    evaluate: async (ctx, o) =>
      (await backlog(ctx))
        .filter((q) => q.queue.startsWith("inbox.") && q.oldestReadyAgeSeconds > o.threshold)
        .map((q) => ({
          labels: { source: q.queue.slice("inbox.".length) },
          value: Math.round(q.oldestReadyAgeSeconds),
        })),
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
