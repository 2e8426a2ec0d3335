import type { Pool } from "../db/index.js";
import { OpskitError } from "../errors.js";
import { API_ROLES, WORKER_ROLES, type ServicePart } from "../service-part.js";
import type { AlertRule } from "./alert-rule.js";
import { alertsHealthCheck } from "./alerts-health-check.js";
import { alertsScreen } from "./alerts-screen.js";
import { startAlertEvaluator } from "./alert-evaluator.js";
import { builtinRules, type BuiltinPackOptions } from "./builtin-rules.js";
import { configuredNotifiers } from "./configured-notifiers.js";
import type { GroupTiming, Notifier } from "./notifier.js";
import { notificationTask, type NotificationRetry } from "./notification-task.js";

export interface AlertsPartOptions {
  /** The service's own rules, evaluated with the built-in pack. */
  rules?: AlertRule[];
  /** The built-in pack's overrides, or false for none of it; default the whole pack. */
  builtin?: BuiltinPackOptions | false;
  /** Notifiers besides the configured ones (OPSKIT_ALERTS_*). */
  notifiers?: Notifier[];
  /** Group timers; default Alertmanager's 30 s / 5 m / 4 h. */
  timing?: Partial<GroupTiming>;
  /** Labels a group is made of; default ["alertname"]. */
  groupBy?: string[];
  /** The console's address, in every message (externalURL). */
  externalUrl?: string;
  retry?: NotificationRetry;
  /** Default OPSKIT_ALERTS_EVALUATION_INTERVAL. */
  intervalMs?: number;
  /** Resolved incidents and delivered notifications are deleted after this; default 30 days. */
  historyRetentionMs?: number;
}

/** Checks a rule list for duplicate names (a name is the alert's identity). */
export function checkRuleNames(rules: readonly AlertRule[]): void {
  const seen = new Set<string>();
  for (const r of rules) {
    if (seen.has(r.name)) {
      throw new OpskitError(
        "ALERT_RULE_INVALID",
        `Two alert rules are named "${r.name}"; names must be unique.`,
      );
    }
    seen.add(r.name);
  }
}

/**
 * Roles `worker` and `all`: the alert evaluator (leader-elected across every
 * replica: one evaluates, the others stand by), the notification task on the
 * job queue, and firing alerts in /health (a warning, never a readiness
 * failure). See docs/alerts.md.
 *
 * @example
 * await runService({ …, parts: [] });   // alertsPart() is in the toolkit's parts list
 * alertsPart({ rules: [ordersStuck], builtin: { overrides: { JobsStuck: { forMs: 300_000 } } } })
 */
export function alertsPart(options: AlertsPartOptions = {}): ServicePart {
  const rules = [
    ...(options.builtin === false ? [] : builtinRules(options.builtin)),
    ...(options.rules ?? []),
  ];
  checkRuleNames(rules);
  let pool: Pool | undefined;
  let notifiers: Notifier[] = [];
  const task = notificationTask(
    () => {
      if (!pool) throw new Error("the alerts part has not started");
      return pool;
    },
    () => notifiers,
    options.retry,
  );
  return {
    name: "alerts",
    roles: WORKER_ROLES,
    declare: (ctx) => {
      pool = ctx.pool;
      notifiers = [...configuredNotifiers(ctx.config), ...(options.notifiers ?? [])];
      // No notifier, no notification: the task (and so a worker) only when something receives.
      return { tasks: notifiers.length ? [task] : [], checks: [alertsHealthCheck(ctx.pool)] };
    },
    start(ctx) {
      const evaluator = startAlertEvaluator({
        pool: ctx.pool,
        // The leader lock is a session advisory lock: past any transaction-mode pooler.
        databaseUrl: ctx.sessionUrl,
        rules,
        notifiers,
        intervalMs: options.intervalMs ?? ctx.config.OPSKIT_ALERTS_EVALUATION_INTERVAL,
        enqueue: async (tx, id, fifoKey) => {
          await ctx.queue.add(
            task,
            { id },
            { tx, dedupeKey: `alerts:notification:${id}`, fifoKey },
          );
        },
        log: ctx.log,
        ...(options.timing ? { timing: options.timing } : {}),
        ...(options.groupBy ? { groupBy: options.groupBy } : {}),
        ...(options.externalUrl ? { externalUrl: options.externalUrl } : {}),
        registry: ctx.metrics.registry,
        health: ctx.health,
        migrations: ctx.migrations,
        ...(options.historyRetentionMs ? { historyRetentionMs: options.historyRetentionMs } : {}),
      });
      return () => evaluator.stop();
    },
  };
}

/**
 * Roles `api` and `all`, where the console runs: the console's alerts
 * screen (`/ops/alerts`). A part of its own because `alertsPart` runs in the
 * worker roles; in role `all` both run and the screen is declared once.
 *
 * @example
 * parts: [alertsPart(options.alerts), alertsScreenPart()] // as the toolkit's parts list does
 */
export function alertsScreenPart(): ServicePart {
  return {
    name: "alerts_screen",
    roles: API_ROLES,
    declare: () => ({ screens: [alertsScreen] }),
  };
}
