import type { Queryable } from "../../db/index.js";

export interface PruneOptions {
  /** One source; default every source with a retention period. */
  source?: string | undefined;
  /** Override the sources' retention (days). */
  olderThanDays?: number | undefined;
  /** Rows per statement; default 1,000. */
  batchSize?: number;
  /** Stop after this many batches (the next run goes on); default no limit. */
  maxBatches?: number;
}

export interface PruneResult {
  /** Payloads deleted, per source. */
  pruned: Record<string, number>;
  batches: number;
}

const PRUNE_SQL = `with picked as (
  select e.id from opskit.inbox_events e
   where e.source = $1 and e.received_at < now() - $2::integer * interval '1 day'
     and e.body is not null and e.status in ('processed', 'dead', 'rejected')
   order by e.received_at limit $3
   for update skip locked
)
update opskit.inbox_events e set body = null, payload_pruned_at = now()
  from picked where e.id = picked.id`;

/**
 * Deletes the payloads (raw bodies) of finished events older than their
 * source's retention, in bounded batches, each its own short statement:
 * never one table-wide DELETE holding locks and bloating WAL while webhooks
 * keep arriving. The event rows stay with their metadata (ids, keys,
 * status, times, masked headers). Events not yet finished keep their
 * payload whatever their age.
 */
export async function pruneInboxPayloads(
  db: Queryable,
  options: PruneOptions = {},
): Promise<PruneResult> {
  const { rows: sources } = await db.query<{ name: string; retention_days: number | null }>(
    `select name, retention_days from opskit.inbox_sources
      where ($1::text is null or name = $1) order by name`,
    [options.source ?? null],
  );
  const result: PruneResult = { pruned: {}, batches: 0 };
  const batchSize = options.batchSize ?? 1_000;
  for (const source of sources) {
    const days = options.olderThanDays ?? source.retention_days;
    if (days === null) continue;
    result.pruned[source.name] = 0;
    for (;;) {
      if (options.maxBatches !== undefined && result.batches >= options.maxBatches) return result;
      const { rowCount } = await db.query(PRUNE_SQL, [source.name, days, batchSize]);
      result.batches++;
      result.pruned[source.name]! += rowCount ?? 0;
      if ((rowCount ?? 0) < batchSize) break;
    }
  }
  return result;
}
