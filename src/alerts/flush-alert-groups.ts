import type { Pool, Queryable } from "../db/index.js";
import { withTransaction } from "../db/index.js";
import { groupKeyOf } from "./fingerprint.js";
import { decideGroup } from "./group-decision.js";
import type { AlertMessage, GroupTiming, MessageAlert, Notifier } from "./notifier.js";
import {
  insertGroupNotification,
  readAlertGroups,
  readNotifiableAlerts,
  saveGroupWait,
  type AlertRow,
} from "./sql/alert-groups.js";
import { readActiveSilences, silenceMatches } from "./sql/alert-silences.js";

/** Where a notification row goes next: a job that sends it (in the same transaction). */
export type EnqueueNotification = (tx: Queryable, id: string, fifoKey: string) => Promise<void>;

export interface FlushOptions {
  pool: Pool;
  notifiers: readonly Notifier[];
  timing: GroupTiming;
  /** Labels that form a group; default `["alertname"]`. */
  groupBy: readonly string[];
  /** Per rule, a repeat interval that overrides the receiver's (the Watchdog's). */
  repeatIntervals: ReadonlyMap<string, number>;
  externalUrl: string;
  enqueue: EnqueueNotification;
  now?: Date;
}

const ZERO_TIME = "0001-01-01T00:00:00Z";

function messageAlert(
  a: AlertRow,
  status: "firing" | "resolved",
  externalUrl: string,
): MessageAlert {
  return {
    status,
    labels: a.labels,
    annotations: a.annotations,
    startsAt: (a.fired_at ?? a.active_at).toISOString(),
    endsAt: status === "resolved" && a.resolved_at ? a.resolved_at.toISOString() : ZERO_TIME,
    generatorURL: externalUrl,
    fingerprint: a.fingerprint,
  };
}

function common(maps: Record<string, string>[]): Record<string, string> {
  const [first, ...rest] = maps;
  if (!first) return {};
  return Object.fromEntries(
    Object.entries(first).filter(([k, v]) => rest.every((m) => m[k] === v)),
  );
}

/**
 * One pass over every receiver's groups (run by the leader after each
 * evaluation): decides per group whether a message is due (group wait,
 * interval, repeat; silences) and, when it is, records it and enqueues its
 * delivery job in one transaction. Returns how many messages were queued.
 */
export async function flushAlertGroups(options: FlushOptions): Promise<number> {
  const now = options.now ?? new Date();
  // Nobody to tell: alerts are still evaluated and shown (CLI, /health).
  if (options.notifiers.length === 0) return 0;
  const [alerts, groups, silences] = await Promise.all([
    readNotifiableAlerts(options.pool),
    readAlertGroups(options.pool),
    readActiveSilences(options.pool),
  ]);
  const byId = new Map(alerts.map((a) => [a.id, a]));
  const muted = new Set(
    alerts
      .filter(
        (a) => a.state === "firing" && silences.some((s) => silenceMatches(s.matchers, a.labels)),
      )
      .map((a) => a.id),
  );
  let queued = 0;
  for (const notifier of options.notifiers) {
    const timing = { ...options.timing, ...notifier.timing };
    const routed = (a: AlertRow) =>
      !notifier.severities || notifier.severities.includes(a.labels.severity ?? "");
    const keyed = new Map<string, { labels: Record<string, string>; firing: string[] }>();
    for (const a of alerts) {
      if (a.state !== "firing" || !routed(a)) continue;
      const labels = Object.fromEntries(options.groupBy.map((k) => [k, a.labels[k] ?? ""]));
      const key = groupKeyOf(labels);
      const entry = keyed.get(key) ?? { labels, firing: [] };
      entry.firing.push(a.id);
      keyed.set(key, entry);
    }
    const stored = new Map(
      groups.filter((g) => g.receiver === notifier.name).map((g) => [g.groupKey, g]),
    );
    for (const key of new Set([...keyed.keys(), ...stored.keys()])) {
      const group = stored.get(key);
      const entry = keyed.get(key);
      const groupLabels =
        entry?.labels ??
        common(
          (group?.notified ?? [])
            .map((id) => byId.get(id)?.labels ?? {})
            .map((l) => Object.fromEntries(options.groupBy.map((k) => [k, l[k] ?? ""]))),
        );
      const ids = [...(entry?.firing ?? []), ...(group?.notified ?? [])];
      const repeat = Math.min(
        timing.repeatIntervalMs,
        ...ids.map((id) => options.repeatIntervals.get(byId.get(id)?.rule ?? "") ?? Infinity),
      );
      const decision = decideGroup({
        stored: group,
        firing: entry?.firing ?? [],
        muted,
        timing: { ...timing, repeatIntervalMs: repeat },
        now,
      });
      if (decision.action === "wait") {
        if (
          (group?.firstActiveAt?.getTime() ?? null) !== (decision.firstActiveAt?.getTime() ?? null)
        ) {
          await saveGroupWait(
            options.pool,
            notifier.name,
            key,
            groupLabels,
            decision.firstActiveAt,
          );
        }
        continue;
      }
      const messageAlerts = [
        ...decision.firing.map((id) => messageAlert(byId.get(id)!, "firing", options.externalUrl)),
        ...decision.resolved
          .map((id) => byId.get(id))
          .filter((a): a is AlertRow => a !== undefined)
          .map((a) => messageAlert(a, "resolved", options.externalUrl)),
      ];
      const message: AlertMessage = {
        version: "4",
        groupKey: key,
        truncatedAlerts: 0,
        status: decision.firing.length ? "firing" : "resolved",
        receiver: notifier.name,
        groupLabels,
        commonLabels: common(messageAlerts.map((a) => a.labels)),
        commonAnnotations: common(messageAlerts.map((a) => a.annotations)),
        externalURL: options.externalUrl,
        alerts: messageAlerts,
      };
      const sent = await withTransaction(options.pool, async (tx) => {
        const id = await insertGroupNotification(tx, {
          receiver: notifier.name,
          groupKey: key,
          groupLabels,
          expectedSeq: group?.seq ?? 0,
          notified: decision.notified,
          alertIds: [...decision.firing, ...decision.resolved],
          message,
          now,
        });
        if (id !== undefined) await options.enqueue(tx, id, `alerts:${notifier.name}:${key}`);
        return id !== undefined;
      });
      if (sent) queued++;
    }
  }
  return queued;
}
