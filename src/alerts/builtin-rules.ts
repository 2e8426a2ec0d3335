import { OpskitError } from "../errors.js";
import { defineRule, type AlertRule } from "./alert-rule.js";
import type { BuiltinRuleSettings, BuiltinRuleSpec } from "./rules/builtin-rule-spec.js";
import { inboxRules } from "./rules/inbox-rules.js";
import { jobsRules } from "./rules/jobs-rules.js";
import { outboxRules } from "./rules/outbox-rules.js";
import { serviceRules } from "./rules/service-rules.js";

/** Every rule of the built-in pack, with its defaults (docs/alerts.md lists them). */
export const BUILTIN_RULES: readonly BuiltinRuleSpec[] = [
  ...serviceRules,
  ...jobsRules,
  ...inboxRules,
  ...outboxRules,
];

export type BuiltinRuleName = (typeof BUILTIN_RULES)[number]["name"];

/** Per built-in rule: `false` turns it off; an object overrides some of its settings. */
export type BuiltinOverrides = Partial<Record<string, false | Partial<BuiltinRuleSettings>>>;

export interface BuiltinPackOptions {
  overrides?: BuiltinOverrides;
  /** Prefix of the runbook links; default the repository's docs on GitHub-less paths (`docs/runbooks/…`). */
  runbookBaseUrl?: string;
}

/** The settings a built-in rule runs with after overrides. */
export function builtinSettings(
  spec: BuiltinRuleSpec,
  override?: Partial<BuiltinRuleSettings>,
): BuiltinRuleSettings {
  return {
    severity: override?.severity ?? spec.severity,
    forMs: override?.forMs ?? spec.forMs,
    keepFiringForMs: override?.keepFiringForMs ?? spec.keepFiringForMs ?? 0,
    threshold: override?.threshold ?? spec.threshold,
    ...((override?.windowMs ?? spec.windowMs) === undefined
      ? {}
      : { windowMs: override?.windowMs ?? spec.windowMs }),
    ...((override?.labels ?? spec.labels) ? { labels: override?.labels ?? spec.labels } : {}),
    ...((override?.repeatIntervalMs ?? spec.repeatIntervalMs) === undefined
      ? {}
      : { repeatIntervalMs: override?.repeatIntervalMs ?? spec.repeatIntervalMs }),
  };
}

export function runbookUrl(spec: BuiltinRuleSpec, base = ""): string {
  return base
    ? `${base.replace(/\/+$/, "")}/${spec.runbook.replace(/^docs\/runbooks\//, "")}`
    : spec.runbook;
}

/**
 * The built-in pack as rules, on by default with the thresholds in
 * docs/alerts.md; each can be turned off or tuned.
 *
 * @example
 * builtinRules({ overrides: { JobsStuck: { forMs: 300_000 }, WebhookSourcePaused: false } })
 */
export function builtinRules(options: BuiltinPackOptions = {}): AlertRule[] {
  const overrides = options.overrides ?? {};
  for (const name of Object.keys(overrides)) {
    if (!BUILTIN_RULES.some((r) => r.name === name)) {
      throw new OpskitError(
        "ALERT_RULE_INVALID",
        `No built-in alert rule is named "${name}"; the pack has ${BUILTIN_RULES.map((r) => r.name).join(", ")}.`,
      );
    }
  }
  return BUILTIN_RULES.filter((spec) => overrides[spec.name] !== false).map((spec) => {
    const override = overrides[spec.name];
    const settings = builtinSettings(spec, override === false ? undefined : override);
    return defineRule({
      name: spec.name,
      severity: settings.severity,
      summary: spec.summary,
      description: spec.description,
      runbookUrl: runbookUrl(spec, options.runbookBaseUrl),
      labels: settings.labels,
      forMs: settings.forMs,
      keepFiringForMs: settings.keepFiringForMs,
      repeatIntervalMs: settings.repeatIntervalMs,
      evaluate: (ctx) => spec.evaluate(ctx, settings),
    });
  });
}
