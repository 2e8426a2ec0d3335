import type { Queryable } from "../db/index.js";
import { eventRow, type OutboxEventInput } from "./outbox-event.js";

/**
 * Writes events to `opskit.outbox` in the caller's transaction: they exist
 * exactly when the transaction commits. Give the same transaction that wrote
 * the change the events describe. From SQL: `select opskit.publish_event(…)`.
 * Throws OUTBOX_EVENT_INVALID (nothing written) on a bad field.
 *
 * @example
 * await withTransaction(pool, async (tx) => {
 *   await tx.query("update orders set stage = $2 where id = $1", [id, "Packing"]);
 *   await publishEvents(tx, [{ aggregateType: "order", aggregateId: id, type: "order.stage_changed", payload: { stage: "Packing" } }]);
 * });
 */
export async function publishEvents(
  tx: Queryable,
  inputs: readonly OutboxEventInput[],
): Promise<{ ids: string[] }> {
  if (inputs.length === 0) return { ids: [] };
  const rows = inputs.map(eventRow);
  // The relay's wake-up is the table's statement trigger (opskit.notify_outbox).
  if (rows.length === 1) {
    const r = rows[0]!;
    await tx.query(
      `insert into opskit.outbox (id, aggregatetype, aggregateid, type, payload, headers)
       values ($1, $2, $3, $4, $5, $6)`,
      [r.id, r.aggregatetype, r.aggregateid, r.type, r.payload, r.headers],
    );
  } else {
    await tx.query(
      `insert into opskit.outbox (id, aggregatetype, aggregateid, type, payload, headers)
       select * from unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::jsonb[], $6::jsonb[])`,
      [
        rows.map((r) => r.id),
        rows.map((r) => r.aggregatetype),
        rows.map((r) => r.aggregateid),
        rows.map((r) => r.type),
        rows.map((r) => r.payload),
        rows.map((r) => r.headers),
      ],
    );
  }
  return { ids: rows.map((r) => r.id) };
}

/** One event; see publishEvents. Resolves to the event's id. */
export async function publishEvent(tx: Queryable, input: OutboxEventInput): Promise<string> {
  const { ids } = await publishEvents(tx, [input]);
  return ids[0]!;
}
