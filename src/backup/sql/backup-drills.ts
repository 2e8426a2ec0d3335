import type { Queryable } from "../../db/index.js";
import type { DrillReceipt } from "../drill-receipt.js";

/** A recorded drill: its receipt and the columns the console and alerts filter on. */
export interface DrillRow {
  id: string;
  kind: "backup" | "restored" | "pitr";
  backupId: string | null;
  ok: boolean;
  startedAt: Date;
  finishedAt: Date;
  rtoMs: number | null;
  rpoMs: number | null;
  receipt: DrillReceipt;
}

/** Records a drill's receipt; a retried drill (same id) replaces its earlier record. */
export async function insertDrill(db: Queryable, receipt: DrillReceipt): Promise<void> {
  await db.query(
    `insert into opskit.backup_drills (id, kind, backup_id, ok, started_at, finished_at, rto_ms, rpo_ms, receipt)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9)
     on conflict (id) do update set ok = excluded.ok, finished_at = excluded.finished_at,
       rto_ms = excluded.rto_ms, rpo_ms = excluded.rpo_ms, receipt = excluded.receipt`,
    [
      receipt.id,
      receipt.kind,
      receipt.backupId,
      receipt.ok,
      receipt.startedAt,
      receipt.finishedAt,
      receipt.rto_ms,
      receipt.rpo_ms,
      JSON.stringify(receipt),
    ],
  );
}

/** The newest drills first; `ok` filters to passed (true) or failed (false) ones. */
export async function listDrills(
  db: Queryable,
  options: { limit?: number; ok?: boolean } = {},
): Promise<DrillRow[]> {
  const { rows } = await db.query<{
    id: string;
    kind: "backup" | "restored" | "pitr";
    backup_id: string | null;
    ok: boolean;
    started_at: Date;
    finished_at: Date;
    rto_ms: string | null;
    rpo_ms: string | null;
    receipt: DrillReceipt;
  }>(
    `select id, kind, backup_id, ok, started_at, finished_at, rto_ms, rpo_ms, receipt
       from opskit.backup_drills
      where $2::boolean is null or ok = $2
      order by started_at desc limit $1`,
    [options.limit ?? 50, options.ok ?? null],
  );
  return rows.map((r) => ({
    id: r.id,
    kind: r.kind,
    backupId: r.backup_id,
    ok: r.ok,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    rtoMs: r.rto_ms === null ? null : Number(r.rto_ms),
    rpoMs: r.rpo_ms === null ? null : Number(r.rpo_ms),
    receipt: r.receipt,
  }));
}
