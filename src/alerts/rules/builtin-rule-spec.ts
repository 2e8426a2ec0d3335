import type { AlertSample, AlertSeverity, RuleContext } from "../alert-rule.js";

/** The values of a built-in rule an operator may override (every one has a default). */
export interface BuiltinRuleSettings {
  severity: AlertSeverity;
  forMs: number;
  keepFiringForMs?: number;
  /** The rule's threshold, in the unit its summary names. */
  threshold: number;
  /** The window the rule looks back over, where it has one. */
  windowMs?: number;
  /** Extra labels on its alerts. */
  labels?: Record<string, string>;
  repeatIntervalMs?: number;
}

/**
 * One rule of the built-in pack, as data: its defaults, its texts, its
 * in-service evaluation (through admin handles only) and the same condition
 * in PromQL over opskit's metrics (null where no metric carries the signal).
 */
export interface BuiltinRuleSpec extends BuiltinRuleSettings {
  name: string;
  summary: string;
  description: string;
  /** Relative to the repository (docs/runbooks/…); made absolute by `runbookBaseUrl`. */
  runbook: string;
  promql: ((settings: BuiltinRuleSettings) => string) | null;
  evaluate(ctx: RuleContext, settings: BuiltinRuleSettings): Promise<AlertSample[]> | AlertSample[];
}
