import type { Queryable } from "../../db/index.js";
import type { BackoffSpec } from "../backoff.js";
import type { AddResult } from "../job.js";

/** One row of `opskit.add_jobs(specs json)`: absent fields take the column defaults. */
export interface JobSpec {
  task: string;
  queue: string;
  payload: unknown;
  priority?: number | undefined;
  run_at?: string | undefined;
  max_attempts?: number | undefined;
  backoff?: BackoffSpec | undefined;
  timeout_ms?: number | undefined;
  dedupe_key?: string | undefined;
  fifo_key?: string | undefined;
  meta?: Record<string, unknown> | undefined;
}

/**
 * Adds jobs in one statement (the same SQL function a trigger can call) and
 * returns, in order, each job's id and whether it was deduplicated. Under a
 * race where the conflicting job finished between the conflict and the
 * lookup, the spec is simply added again.
 */
export async function insertJobs(db: Queryable, specs: JobSpec[]): Promise<AddResult[]> {
  const results: (AddResult | undefined)[] = new Array<AddResult | undefined>(specs.length);
  let pending = specs.map((spec, index) => ({ spec, index }));
  while (pending.length > 0) {
    const { rows } = await db.query<{ ord: string; id: string | null; deduplicated: boolean }>(
      "select ord, id, deduplicated from opskit.add_jobs($1::json)",
      [JSON.stringify(pending.map((p) => p.spec))],
    );
    const again: typeof pending = [];
    for (const row of rows) {
      const item = pending[Number(row.ord) - 1]!;
      if (row.id === null) again.push(item);
      else results[item.index] = { id: row.id, deduplicated: row.deduplicated };
    }
    pending = again;
  }
  return results as AddResult[];
}
