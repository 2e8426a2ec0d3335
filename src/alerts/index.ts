export {
  ALERT_SEVERITIES,
  compare,
  defineRule,
  metricRule,
  readMetric,
  sqlRule,
  type AlertRule,
  type AlertSample,
  type AlertSeverity,
  type Comparison,
  type RuleBase,
  type RuleContext,
} from "./alert-rule.js";
export { createSeriesWindow, type SeriesWindow } from "./series-window.js";
export { renderTemplate } from "./render-template.js";
export {
  alertTransitions,
  type Observation,
  type OpenAlert,
  type Transition,
} from "./alert-transitions.js";
export { decideGroup, type GroupDecision, type StoredGroup } from "./group-decision.js";
export {
  DEFAULT_GROUP_TIMING,
  NotifierError,
  type AlertMessage,
  type GroupTiming,
  type MessageAlert,
  type Notifier,
  type SendContext,
} from "./notifier.js";
export { slackMessage, slackNotifier } from "./notifiers/slack.js";
export { PAGERDUTY_EVENTS_URL, pagerDutyEvent, pagerDutyNotifier } from "./notifiers/pagerduty.js";
export { standardWebhookHeaders, webhookNotifier } from "./notifiers/webhook.js";
export { alertmanagerAlerts, alertmanagerNotifier } from "./notifiers/alertmanager.js";
export { configuredNotifiers, type AlertsConfig } from "./configured-notifiers.js";
export {
  BUILTIN_RULES,
  builtinRules,
  type BuiltinOverrides,
  type BuiltinPackOptions,
} from "./builtin-rules.js";
export type { BuiltinRuleSettings, BuiltinRuleSpec } from "./rules/builtin-rule-spec.js";
export {
  startAlertEvaluator,
  type AlertEvaluator,
  type AlertEvaluatorOptions,
  type RoundResult,
} from "./alert-evaluator.js";
export { ALERTS_LEADER_LOCK_KEY } from "./leader-lock.js";
export { flushAlertGroups, type EnqueueNotification } from "./flush-alert-groups.js";
export {
  NOTIFICATION_TASK,
  notificationTask,
  type NotificationRetry,
} from "./notification-task.js";
export { createAlertsAdmin, type AlertsAdmin } from "./alerts-admin.js";
export type { AlertRow, NotificationRow } from "./sql/alert-groups.js";
export type { SilenceRow } from "./sql/alert-silences.js";
export type { OpenAlertRow, RuleStatusRow } from "./sql/read-alerts.js";
export { alertsHealthCheck } from "./alerts-health-check.js";
export { alertsPart, alertsScreenPart, type AlertsPartOptions } from "./alerts-part.js";
export { alertsScreen } from "./alerts-screen.js";
export { prometheusRules } from "./prometheus-rules.js";
