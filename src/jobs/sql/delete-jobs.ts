import type { Queryable } from "../../db/index.js";

/**
 * Deletes jobs that are not running: dead ones, finished ones (history) and
 * queued ones (scheduled, ready). A running job is left alone (cancel it
 * first). Returns the ids deleted. The jobs area has no delete of its own:
 * operators asked for it to clear poison jobs and test data.
 */
export async function deleteJobs(db: Queryable, ids: readonly string[]): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    `with d as (delete from opskit.dead_jobs where id = any($1::bigint[]) returning id),
          h as (delete from opskit.job_history where id = any($1::bigint[]) returning id),
          q as (delete from opskit.jobs where id = any($1::bigint[]) and state in ('scheduled', 'ready') returning id)
     select id::text from d union all select id::text from h union all select id::text from q`,
    [ids],
  );
  return rows.map((r) => r.id);
}
