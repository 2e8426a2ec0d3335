import type { Queryable } from "../../db/index.js";
import type { StoredGroup } from "../group-decision.js";
import type { AlertMessage } from "../notifier.js";

export interface AlertRow {
  id: string;
  fingerprint: string;
  rule: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: "pending" | "firing" | "resolved";
  value: number | null;
  active_at: Date;
  fired_at: Date | null;
  resolved_at: Date | null;
}

const ALERT_COLUMNS = `id::text, fingerprint, rule, labels, annotations, state, value, active_at, fired_at, resolved_at`;

/** Firing alerts, and the alerts (any state) any group last notified as firing. */
export async function readNotifiableAlerts(db: Queryable): Promise<AlertRow[]> {
  const { rows } = await db.query<AlertRow>(
    `select ${ALERT_COLUMNS} from opskit.alerts where state = 'firing'
     union
     select ${ALERT_COLUMNS} from opskit.alerts
      where id in (select unnest(notified) from opskit.alert_groups)`,
  );
  return rows;
}

export async function readAlertGroups(
  db: Queryable,
): Promise<(StoredGroup & { receiver: string; groupKey: string })[]> {
  const { rows } = await db.query<{
    receiver: string;
    group_key: string;
    first_active_at: Date | null;
    last_sent_at: Date | null;
    notified: string[];
    seq: string;
  }>(
    `select receiver, group_key, first_active_at, last_sent_at, notified::text[] as notified, seq
       from opskit.alert_groups`,
  );
  return rows.map((r) => ({
    receiver: r.receiver,
    groupKey: r.group_key,
    firstActiveAt: r.first_active_at,
    lastSentAt: r.last_sent_at,
    notified: r.notified,
    seq: Number(r.seq),
  }));
}

/** Sets when a fresh group's wait began (or clears it); removes a group with nothing outstanding. */
export async function saveGroupWait(
  db: Queryable,
  receiver: string,
  groupKey: string,
  groupLabels: Record<string, string>,
  firstActiveAt: Date | null,
): Promise<void> {
  if (firstActiveAt === null) {
    await db.query(
      `delete from opskit.alert_groups where receiver = $1 and group_key = $2 and cardinality(notified) = 0`,
      [receiver, groupKey],
    );
    return;
  }
  await db.query(
    `insert into opskit.alert_groups (receiver, group_key, group_labels, first_active_at)
     values ($1, $2, $3, $4)
     on conflict (receiver, group_key) do update set first_active_at = excluded.first_active_at`,
    [receiver, groupKey, JSON.stringify(groupLabels), firstActiveAt],
  );
}

/**
 * Records a group's message: the group row is locked and its `seq` checked
 * against the one the decision was made on (another leader that got there
 * first wins, and this call returns undefined); then the notification row
 * is inserted with the next seq, unique per (receiver, group, seq).
 */
export async function insertGroupNotification(
  tx: Queryable,
  input: {
    receiver: string;
    groupKey: string;
    groupLabels: Record<string, string>;
    expectedSeq: number;
    notified: readonly string[];
    alertIds: readonly string[];
    message: AlertMessage;
    now: Date;
  },
): Promise<string | undefined> {
  await tx.query(
    `insert into opskit.alert_groups (receiver, group_key, group_labels) values ($1, $2, $3)
     on conflict (receiver, group_key) do nothing`,
    [input.receiver, input.groupKey, JSON.stringify(input.groupLabels)],
  );
  const { rows } = await tx.query<{ seq: string }>(
    `select seq from opskit.alert_groups where receiver = $1 and group_key = $2 for update`,
    [input.receiver, input.groupKey],
  );
  if (Number(rows[0]?.seq ?? -1) !== input.expectedSeq) return undefined;
  const seq = input.expectedSeq + 1;
  await tx.query(
    `update opskit.alert_groups
        set seq = $3, last_sent_at = $4, notified = $5::bigint[],
            first_active_at = case when cardinality($5::bigint[]) = 0 then null else coalesce(first_active_at, $4) end
      where receiver = $1 and group_key = $2`,
    [input.receiver, input.groupKey, seq, input.now, input.notified],
  );
  const inserted = await tx.query<{ id: string }>(
    `insert into opskit.alert_notifications (receiver, group_key, seq, status, alert_ids, payload)
     values ($1, $2, $3, $4, $5::bigint[], $6) returning id::text`,
    [
      input.receiver,
      input.groupKey,
      seq,
      input.message.status,
      input.alertIds,
      JSON.stringify(input.message),
    ],
  );
  return inserted.rows[0]!.id;
}

export interface NotificationRow {
  id: string;
  receiver: string;
  group_key: string;
  seq: number;
  status: "firing" | "resolved";
  alert_ids: string[];
  payload: AlertMessage;
  delivery: "queued" | "sent" | "failed" | "dead";
  attempts: number;
  last_error: string | null;
  created_at: Date;
  sent_at: Date | null;
}

export async function findNotification(
  db: Queryable,
  id: string,
): Promise<NotificationRow | undefined> {
  const { rows } = await db.query<NotificationRow>(
    `select id::text, receiver, group_key, seq::int, status, alert_ids::text[] as alert_ids, payload,
            delivery, attempts, last_error, created_at, sent_at
       from opskit.alert_notifications where id = $1`,
    [id],
  );
  return rows[0];
}

/** Records a delivery attempt's outcome. */
export async function recordDelivery(
  db: Queryable,
  id: string,
  outcome: { delivery: "sent" | "failed" | "dead"; error?: string | undefined },
): Promise<void> {
  await db.query(
    `update opskit.alert_notifications
        set delivery = $2, attempts = attempts + 1, last_error = $3,
            sent_at = case when $2 = 'sent' then now() else sent_at end
      where id = $1 and delivery <> 'sent'`,
    [id, outcome.delivery, outcome.error ?? null],
  );
}
