import type { LintRule } from "../lint-rule.js";
import { COLUMN_RULES } from "./column-rules.js";
import { CONSTRAINT_RULES } from "./constraint-rules.js";
import { DEPLOY_FAILURE_RULES } from "./deploy-failure-rules.js";
import { DESTRUCTIVE_RULES } from "./destructive-rules.js";
import { HISTORY_RULES } from "./history-rules.js";
import { INDEX_RULES } from "./index-rules.js";
import { MISC_RULES } from "./misc-rules.js";
import { RENAME_RULES } from "./rename-rules.js";
import { TRANSACTION_RULES } from "./transaction-rules.js";
import { TYPE_RULES } from "./type-rules.js";

/** Every rule, in the order the docs list them. */
export const LINT_RULES: readonly LintRule[] = [
  ...DEPLOY_FAILURE_RULES,
  ...TRANSACTION_RULES,
  ...INDEX_RULES,
  ...CONSTRAINT_RULES,
  ...COLUMN_RULES,
  ...DESTRUCTIVE_RULES,
  ...RENAME_RULES,
  ...TYPE_RULES,
  ...MISC_RULES,
  ...HISTORY_RULES,
];

export function ruleById(id: string): LintRule {
  const rule = LINT_RULES.find((r) => r.id === id);
  if (!rule) throw new Error(`no lint rule "${id}"`);
  return rule;
}
