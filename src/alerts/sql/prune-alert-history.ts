import type { Queryable } from "../../db/index.js";

/**
 * Deletes history older than `olderThanMs`: resolved incidents no group
 * still names, and notifications that were sent or given up. Bounded
 * batches (`batchSize` rows per statement, `maxBatches` statements per
 * kind); the next run goes on. Returns how many rows went.
 */
export async function pruneAlertHistory(
  db: Queryable,
  options: { olderThanMs: number; batchSize?: number; maxBatches?: number },
): Promise<{ alerts: number; notifications: number }> {
  const batch = options.batchSize ?? 1_000;
  const max = options.maxBatches ?? 10;
  let notifications = 0;
  let alerts = 0;
  for (let i = 0; i < max; i++) {
    const { rowCount } = await db.query(
      `delete from opskit.alert_notifications where id in (
         select id from opskit.alert_notifications
          where created_at < now() - $1 * interval '1 millisecond' and delivery in ('sent', 'dead')
          order by id limit $2)`,
      [options.olderThanMs, batch],
    );
    notifications += rowCount ?? 0;
    if ((rowCount ?? 0) < batch) break;
  }
  for (let i = 0; i < max; i++) {
    const { rowCount } = await db.query(
      `delete from opskit.alerts where id in (
         select a.id from opskit.alerts a
          where a.state = 'resolved' and a.resolved_at < now() - $1 * interval '1 millisecond'
            and not exists (select 1 from opskit.alert_groups g where a.id = any(g.notified))
          order by a.resolved_at limit $2)`,
      [options.olderThanMs, batch],
    );
    alerts += rowCount ?? 0;
    if ((rowCount ?? 0) < batch) break;
  }
  return { alerts, notifications };
}
