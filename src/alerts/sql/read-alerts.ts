import type { Queryable } from "../../db/index.js";
import type { AlertRow, NotificationRow } from "./alert-groups.js";

const ALERT = `id::text, fingerprint, rule, labels, annotations, state, value, active_at, fired_at, resolved_at`;

export async function listAlerts(
  db: Queryable,
  filter: { state?: "firing" | "pending" | "resolved"; limit?: number },
): Promise<AlertRow[]> {
  const { rows } = await db.query<AlertRow>(
    filter.state === "resolved"
      ? `select ${ALERT} from opskit.alerts where state = 'resolved' order by resolved_at desc limit $1`
      : `select ${ALERT} from opskit.alerts where state <> 'resolved' and ($2::text is null or state = $2)
          order by state, active_at desc limit $1`,
    filter.state === "resolved"
      ? [filter.limit ?? 100]
      : [filter.limit ?? 100, filter.state ?? null],
  );
  return rows;
}

/** An open alert with the ids of the active silences that mute it (empty when none). */
export type OpenAlertRow = AlertRow & { silenced_by: string[] };

/**
 * Firing and pending alerts, each with the active silences whose matchers it
 * carries (`labels @> matchers`: every matcher equals a label, as the
 * notifier decides), in one query.
 */
export async function listOpenAlerts(db: Queryable, limit = 100): Promise<OpenAlertRow[]> {
  const { rows } = await db.query<OpenAlertRow>(
    `select a.id::text, a.fingerprint, a.rule, a.labels, a.annotations, a.state, a.value,
            a.active_at, a.fired_at, a.resolved_at,
            array(select s.id::text from opskit.alert_silences s
                   where s.expired_at is null and s.starts_at <= now() and s.ends_at > now()
                     and a.labels @> s.matchers order by s.id) as silenced_by
       from opskit.alerts a where a.state <> 'resolved'
      order by a.state, a.active_at desc limit $1`,
    [limit],
  );
  return rows;
}

export async function findAlert(db: Queryable, id: string): Promise<AlertRow | undefined> {
  if (!/^\d{1,19}$/.test(id)) return undefined;
  const { rows } = await db.query<AlertRow>(`select ${ALERT} from opskit.alerts where id = $1`, [
    id,
  ]);
  return rows[0];
}

export async function listNotifications(
  db: Queryable,
  filter: { alertId?: string; limit?: number },
): Promise<NotificationRow[]> {
  const { rows } = await db.query<NotificationRow>(
    `select id::text, receiver, group_key, seq::int, status, alert_ids::text[] as alert_ids, payload,
            delivery, attempts, last_error, created_at, sent_at
       from opskit.alert_notifications
      where ($2::bigint is null or $2::bigint = any(alert_ids))
      order by id desc limit $1`,
    [filter.limit ?? 100, filter.alertId ?? null],
  );
  return rows;
}

export interface RuleStatusRow {
  name: string;
  severity: string;
  for_ms: number;
  keep_firing_for_ms: number;
  summary: string;
  runbook_url: string | null;
  last_evaluated_at: Date | null;
  last_duration_ms: number | null;
  last_error: string | null;
  evaluated_by: string | null;
}

export async function listRuleStatuses(db: Queryable): Promise<RuleStatusRow[]> {
  const { rows } = await db.query<RuleStatusRow>(
    `select name, severity, for_ms::float8 as for_ms, keep_firing_for_ms::float8 as keep_firing_for_ms, summary,
            runbook_url, last_evaluated_at, last_duration_ms, last_error, evaluated_by
       from opskit.alert_rules order by name`,
  );
  return rows;
}
