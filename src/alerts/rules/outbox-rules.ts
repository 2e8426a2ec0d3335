import { createOutboxAdmin, outboxSlotLagRuleSpec } from "../../outbox/index.js";
import type { BuiltinRuleSpec } from "./builtin-rule-spec.js";

/**
 * The outbox's rules: an endpoint disabled after its run of failures,
 * delivery lag, and the logical relay's replication slot holding back WAL
 * (defined beside its guard, in src/outbox/logical/slot-lag-rule.ts).
 */
export const outboxRules: BuiltinRuleSpec[] = [
  {
    name: "OutboxEndpointDisabled",
    severity: "critical",
    forMs: 0,
    threshold: 0,
    summary:
      "Outbox endpoint {{ $labels.endpoint }} is disabled with {{ $value }} deliveries waiting",
    description:
      "The endpoint failed its run of consecutive attempts and was disabled: its events are kept, in order, and nothing is sent until an operator resumes it.",
    runbook: "docs/runbooks/outbox-endpoint-failing.md",
    promql: null,
    evaluate: async (ctx) =>
      (await createOutboxAdmin(ctx.pool).listEndpoints())
        .filter((e) => e.state === "disabled")
        .map((e) => ({ labels: { endpoint: e.name }, value: e.pending })),
  },
  {
    name: "OutboxDeliveryLagging",
    severity: "warning",
    forMs: 5 * 60_000,
    threshold: 900,
    summary: "The oldest undelivered outbox event has waited {{ $value }} s",
    description:
      "A committed event has not reached every consumer within the threshold: the relay is not running, a consumer is failing or paused, or the workers are behind.",
    runbook: "docs/runbooks/outbox-endpoint-failing.md",
    promql: (o) => `max(opskit_outbox_lag_seconds) > ${o.threshold}`,
    evaluate: async (ctx, o) => {
      const lag = await createOutboxAdmin(ctx.pool).lag();
      const value = Math.round(Math.max(lag.relaySeconds, lag.deliverySeconds));
      return value > o.threshold ? [{ labels: {}, value }] : [];
    },
  },
  outboxSlotLagRuleSpec,
];
