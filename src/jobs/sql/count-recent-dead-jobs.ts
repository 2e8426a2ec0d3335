import type { Queryable } from "../../db/index.js";

/**
 * Jobs that died within the last `windowMs`, by queue and task: what the
 * "new dead jobs" alert reads. Walks dead_jobs' died_at index, so its cost
 * follows the recent deaths, not the table.
 */
export async function countRecentDeadJobs(
  db: Queryable,
  windowMs: number,
): Promise<{ queue: string; task: string; count: number }[]> {
  const { rows } = await db.query<{ queue: string; task: string; count: number }>(
    `select queue, task, count(*)::int as count from opskit.dead_jobs
      where died_at > now() - $1 * interval '1 millisecond' group by queue, task order by queue, task`,
    [windowMs],
  );
  return rows;
}
