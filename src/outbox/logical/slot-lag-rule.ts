// Types only: the alerts area's built-in pack lists this rule
// (src/alerts/rules/outbox-rules.ts), so a runtime import back into alerts
// would be a cycle evaluated half-way.
import type {
  AlertRule,
  BuiltinRuleSettings,
  BuiltinRuleSpec,
  RuleContext,
} from "../../alerts/index.js";
import { OpskitError } from "../../errors.js";
import { SLOT_LAG_METRIC } from "./slot-lag-guard.js";

/** Slots the rule watches: `opskit_outbox` and `opskit_outbox_<anything>` (the reader's naming). */
export const OUTBOX_SLOT_PREFIX = "opskit_outbox";

/**
 * The alert every logical slot needs beside its guard: the outbox slot
 * holds back more WAL than the threshold (default 256 MiB) for 5 minutes:
 * its consumer is slow, hung or gone, and the guard will drop the slot at
 * its budget. Read from `pg_replication_slots` (so it fires even when no
 * reader runs, the case the gauge cannot show), in the shape of the
 * built-in pack, where it is listed (src/alerts/rules/outbox-rules.ts;
 * tune it with `builtin.overrides.OutboxSlotLagHigh`), and as a service rule
 * (`outboxSlotLagRule()`) for an evaluator without the built-in pack.
 */
export const outboxSlotLagRuleSpec: BuiltinRuleSpec = {
  name: "OutboxSlotLagHigh",
  severity: "warning",
  forMs: 5 * 60_000,
  threshold: 256 * 1024 * 1024,
  summary: "Outbox replication slot {{ $labels.slot }} holds back {{ $value }} bytes of WAL",
  description:
    "The logical replication slot {{ $labels.slot }} of the outbox is behind by more than the threshold: its reader is slow, hung or not running. Past its budget the guard drops it and the relay falls back to polling; a slot with no guard running fills the disk.",
  runbook: "docs/runbooks/outbox-slot-lag.md",
  promql: (o) => `max by (slot) (${SLOT_LAG_METRIC}) > ${o.threshold}`,
  evaluate: async (ctx: RuleContext, o: BuiltinRuleSettings) => {
    const { rows } = await ctx.pool.query<{ slot: string; lag: number }>(
      `select slot_name as slot,
              pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::float8 as lag
         from pg_replication_slots
        where database = current_database() and plugin = 'pgoutput'
          and (slot_name = $1 or slot_name like $2)`,
      [OUTBOX_SLOT_PREFIX, `${OUTBOX_SLOT_PREFIX}\\_%`],
    );
    return rows
      .filter((r) => r.lag > o.threshold)
      .map((r) => ({ labels: { slot: r.slot }, value: Math.round(r.lag) }));
  },
};

/**
 * The rule as a service rule, with its threshold and wait tunable.
 *
 * @example
 * startAlertEvaluator({ rules: [...builtinRules(), outboxSlotLagRule({ thresholdBytes: 512 * 1024 ** 2 })], … });
 */
export function outboxSlotLagRule(
  options: { thresholdBytes?: number; forMs?: number; runbookUrl?: string } = {},
): AlertRule {
  const spec = outboxSlotLagRuleSpec;
  const settings: BuiltinRuleSettings = {
    severity: spec.severity,
    forMs: options.forMs ?? spec.forMs,
    threshold: options.thresholdBytes ?? spec.threshold,
  };
  if (!(Number.isFinite(settings.forMs) && settings.forMs >= 0)) {
    throw new OpskitError("CONFIG_INVALID", "OutboxSlotLagHigh: forMs must be >= 0.");
  }
  if (!(Number.isFinite(settings.threshold) && settings.threshold >= 0)) {
    throw new OpskitError("CONFIG_INVALID", "OutboxSlotLagHigh: thresholdBytes must be >= 0.");
  }
  const rule: AlertRule = {
    name: spec.name,
    severity: settings.severity,
    summary: spec.summary,
    description: spec.description,
    runbookUrl: options.runbookUrl ?? spec.runbook,
    forMs: settings.forMs,
    evaluate: (ctx: RuleContext) => spec.evaluate(ctx, settings),
  };
  return Object.freeze(rule);
}
