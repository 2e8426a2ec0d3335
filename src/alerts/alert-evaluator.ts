import { hostname } from "node:os";
import type { Registry } from "prom-client";
import type { Pool } from "../db/index.js";
import { withTransaction } from "../db/index.js";
import type { Health } from "../health/index.js";
import type { Logger } from "../log/index.js";
import type { MigrationSource } from "../migrate/index.js";
import { startPeriodicTask } from "../periodic-task.js";
import type { AlertRule } from "./alert-rule.js";
import { alertTransitions, type Observation } from "./alert-transitions.js";
import { fingerprint } from "./fingerprint.js";
import { flushAlertGroups, type EnqueueNotification } from "./flush-alert-groups.js";
import { createLeaderLock } from "./leader-lock.js";
import { DEFAULT_GROUP_TIMING, type GroupTiming, type Notifier } from "./notifier.js";
import { renderTemplate } from "./render-template.js";
import { pruneAlertHistory } from "./sql/prune-alert-history.js";
import { createSeriesWindow } from "./series-window.js";
import {
  applyAlertTransitions,
  readOpenAlerts,
  recordRuleStatuses,
  type RuleStatus,
} from "./sql/alert-states.js";

export interface AlertEvaluatorOptions {
  pool: Pool;
  /** For the leader's own session (the advisory lock). */
  databaseUrl: string;
  rules: readonly AlertRule[];
  notifiers: readonly Notifier[];
  /** How often the leader evaluates every rule (and a replica tries to lead). */
  intervalMs: number;
  enqueue: EnqueueNotification;
  log: Logger;
  timing?: Partial<GroupTiming>;
  groupBy?: readonly string[];
  /** Where people look (the console); in every message as externalURL. */
  externalUrl?: string;
  registry?: Registry;
  health?: Health;
  migrations?: readonly MigrationSource[];
  /** A rule that runs longer than this fails for the round; default the interval, at least 5 s. */
  ruleTimeoutMs?: number;
  /** Names this process in `alert_rules.evaluated_by`; default host:pid. */
  node?: string;
  /** Resolved incidents and delivered notifications are deleted after this; default 30 days. */
  historyRetentionMs?: number;
}

export interface RoundResult {
  leader: boolean;
  /** Rules that threw this round, with their message. */
  errors: { rule: string; message: string }[];
  queued: number;
}

export interface AlertEvaluator {
  isLeader(): boolean;
  /** One round now (or the one in progress). */
  runNow(): Promise<RoundResult>;
  /** Stops evaluating, waits for the round in progress, gives up leadership. */
  stop(): Promise<void>;
}

/**
 * The alert evaluator: one background service. Every `intervalMs` it tries
 * to be the leader (createLeaderLock); the leader evaluates every rule, moves
 * the alerts' states (alertTransitions) in one transaction, records each
 * rule's last evaluation, and flushes the notification groups. A replica
 * only tries the lock, so it takes over within one interval of the leader's
 * death, and continues from the stored state.
 *
 * @example
 * const evaluator = startAlertEvaluator({ pool, databaseUrl, rules: builtinRules(), notifiers, intervalMs: 15_000, enqueue, log });
 * await evaluator.stop();
 */
export function startAlertEvaluator(options: AlertEvaluatorOptions): AlertEvaluator {
  const node = options.node ?? `${hostname()}:${process.pid}`;
  const lock = createLeaderLock(options.databaseUrl, "opskit-alerts-leader");
  const series = createSeriesWindow();
  const log = options.log.child({ category: "alerts" });
  const timing = { ...DEFAULT_GROUP_TIMING, ...options.timing };
  const ruleTimeoutMs = options.ruleTimeoutMs ?? Math.max(options.intervalMs, 5_000);
  const ruleLimits = new Map(
    options.rules.map((r) => [
      r.name,
      { forMs: r.forMs ?? 0, keepFiringForMs: r.keepFiringForMs ?? 0 },
    ]),
  );
  const repeatIntervals = new Map(
    options.rules
      .filter((r) => r.repeatIntervalMs !== undefined)
      .map((r) => [r.name, r.repeatIntervalMs!]),
  );
  let wasLeader = false;
  let prunedAt = 0;
  const retentionMs = options.historyRetentionMs ?? 30 * 86_400_000;

  const round = async (): Promise<RoundResult> => {
    const { leader, now } = await lock.acquire();
    if (leader !== wasLeader) {
      log.info({ node, leader }, leader ? "alert evaluator leads" : "alert evaluator is a replica");
      // Growth and rate history belongs to a leadership term.
      if (!leader) series.clear();
      wasLeader = leader;
    }
    if (!leader) return { leader, errors: [], queued: 0 };
    const seen: Observation[] = [];
    const failed = new Set<string>();
    const errors: RoundResult["errors"] = [];
    const statuses: RuleStatus[] = [];
    const reads = new Map<string, Promise<unknown>>();
    const ctx = {
      once: <T>(key: string, read: () => Promise<T>): Promise<T> => {
        if (!reads.has(key)) reads.set(key, read());
        return reads.get(key) as Promise<T>;
      },
      pool: options.pool,
      registry: options.registry,
      health: options.health,
      migrations: options.migrations ?? [],
      series,
      now: now.getTime(),
    };
    for (const rule of options.rules) {
      const started = performance.now();
      let error: string | undefined;
      try {
        const samples = await withTimeout(
          Promise.resolve(rule.evaluate(ctx)),
          ruleTimeoutMs,
          rule.name,
        );
        for (const sample of samples) {
          const labels: Record<string, string> = {
            ...rule.labels,
            ...sample.labels,
            alertname: rule.name,
            severity: rule.severity,
          };
          const annotations: Record<string, string> = {
            summary: renderTemplate(rule.summary, labels, sample.value),
            description: renderTemplate(rule.description, labels, sample.value),
            ...(rule.runbookUrl ? { runbook_url: rule.runbookUrl } : {}),
          };
          seen.push({
            fingerprint: fingerprint(labels),
            rule: rule.name,
            labels,
            annotations,
            value: sample.value,
          });
        }
      } catch (e) {
        error = (e as Error).message;
        failed.add(rule.name);
        errors.push({ rule: rule.name, message: error });
        log.warn({ err: e, rule: rule.name }, "alert rule failed; its alerts keep their state");
      }
      statuses.push({
        name: rule.name,
        severity: rule.severity,
        forMs: rule.forMs ?? 0,
        keepFiringForMs: rule.keepFiringForMs ?? 0,
        summary: rule.summary,
        runbookUrl: rule.runbookUrl,
        durationMs: performance.now() - started,
        error,
      });
    }
    await withTransaction(options.pool, async (tx) => {
      // The round's state is re-derived by the next round: a crash that loses
      // this commit loses nothing, so it does not wait for the WAL flush (as
      // the queue's claims do not). Notifications commit durably (flush below).
      await tx.query("set local synchronous_commit = off");
      const open = await readOpenAlerts(tx);
      const transitions = alertTransitions({ open, seen, rules: ruleLimits, failed, now });
      await applyAlertTransitions(tx, transitions, now);
      await recordRuleStatuses(tx, statuses, node, now);
    });
    const queued = await flushAlertGroups({
      pool: options.pool,
      notifiers: options.notifiers,
      timing,
      groupBy: options.groupBy ?? ["alertname"],
      repeatIntervals,
      externalUrl: options.externalUrl ?? "",
      enqueue: options.enqueue,
      now,
    });
    // The leader prunes the history at most hourly (bounded batches; the next run goes on).
    if (Date.now() - prunedAt > 3_600_000) {
      prunedAt = Date.now();
      await pruneAlertHistory(options.pool, { olderThanMs: retentionMs }).catch((err: unknown) =>
        log.warn({ err }, "alert history pruning failed; the next hour retries"),
      );
    }
    return { leader, errors, queued };
  };

  const task = startPeriodicTask({
    intervalMs: options.intervalMs,
    immediate: true,
    run: round,
    onError: (err) => log.warn({ err }, "alert evaluation round failed; the next round retries"),
  });
  return {
    isLeader: () => lock.isLeader(),
    runNow: task.runNow,
    async stop() {
      await task.stop();
      await lock.release();
    },
  };
}

async function withTimeout<T>(promise: Promise<T>, ms: number, rule: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`rule ${rule} took longer than ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
