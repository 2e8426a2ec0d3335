import { pruneAlertHistory } from "./sql/prune-alert-history.js";
import type { Queryable } from "../db/index.js";
import type { AlertRow, NotificationRow } from "./sql/alert-groups.js";
import {
  expireSilence,
  insertSilence,
  listSilences,
  type SilenceRow,
} from "./sql/alert-silences.js";
import {
  findAlert,
  listAlerts,
  listNotifications,
  listOpenAlerts,
  listRuleStatuses,
  type OpenAlertRow,
  type RuleStatusRow,
} from "./sql/read-alerts.js";

export interface AlertsAdmin {
  /** Open alerts (firing and pending) or, with `state: "resolved"`, the latest resolved ones; newest first. */
  list(filter?: { state?: "firing" | "pending" | "resolved"; limit?: number }): Promise<AlertRow[]>;
  /** Firing and pending alerts, each with the ids of the active silences that mute it; one query. */
  listOpen(limit?: number): Promise<OpenAlertRow[]>;
  /** One incident with its notifications and their delivery; undefined when none. */
  show(id: string): Promise<(AlertRow & { notifications: NotificationRow[] }) | undefined>;
  /** Notifications newest first, with their delivery state. */
  notifications(filter?: { limit?: number }): Promise<NotificationRow[]>;
  /** Every rule as the leader last evaluated it (its last error, its duration). */
  rules(): Promise<RuleStatusRow[]>;
  /** Silences, newest first. */
  silences(limit?: number): Promise<SilenceRow[]>;
  /** Mutes alerts whose labels equal every matcher until `endsAt`; who and why are recorded. */
  silence(input: {
    matchers: Record<string, string>;
    endsAt: Date;
    createdBy: string;
    comment: string;
  }): Promise<SilenceRow>;
  /** Ends a silence now; undefined when no active silence has that id. */
  unsilence(id: string, by: string): Promise<SilenceRow | undefined>;
  /** Deletes resolved incidents and delivered notifications older than `olderThanMs` (the leader does it hourly). */
  prune(options: { olderThanMs: number }): Promise<{ alerts: number; notifications: number }>;
}

/**
 * Everything an operator reads or does with alerts, without a running
 * evaluator: what the CLI and the console's alerts screen use. It takes a
 * pool or one client (`Queryable`): the console binds it to an action's
 * transaction, so a silence commits with its audit row.
 *
 * @example
 * const alerts = createAlertsAdmin(pool);
 * const firing = await alerts.list({ state: "firing" });
 * await alerts.silence({ matchers: { alertname: "JobsStuck" }, endsAt: new Date(Date.now() + 3_600_000), createdBy: "ada", comment: "deploy" });
 */
export function createAlertsAdmin(db: Queryable): AlertsAdmin {
  return {
    list: (filter) => listAlerts(db, filter ?? {}),
    listOpen: (limit) => listOpenAlerts(db, limit),
    async show(id) {
      const alert = await findAlert(db, id);
      if (!alert) return undefined;
      return { ...alert, notifications: await listNotifications(db, { alertId: id, limit: 100 }) };
    },
    notifications: (filter) => listNotifications(db, filter ?? {}),
    rules: () => listRuleStatuses(db),
    silences: (limit) => listSilences(db, limit),
    silence: (input) => insertSilence(db, input),
    unsilence: (id, by) => expireSilence(db, id, by),
    prune: (options) => pruneAlertHistory(db, options),
  };
}
