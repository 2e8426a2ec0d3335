import type { Queryable } from "../../db/index.js";

const FIND_SQL = `select 1 from opskit.inbox_events where source = $1 and dedupe_key = $2`;

/**
 * Whether an event with this source and dedupe key is stored: one read of
 * the unique index, no transaction to commit. A row it sees is committed
 * (and, with `synchronous_commit` on, durable), so a delivery it finds can be
 * answered as a duplicate. `prepared: false` through a transaction-mode pooler.
 */
export async function isInboxEventStored(
  db: Queryable,
  source: string,
  dedupeKey: string,
  options: { prepared?: boolean } = {},
): Promise<boolean> {
  const values = [source, dedupeKey];
  const { rows } = await db.query(
    options.prepared === false
      ? { text: FIND_SQL, values }
      : { name: "opskit_inbox_find_event", text: FIND_SQL, values },
  );
  return rows.length > 0;
}
