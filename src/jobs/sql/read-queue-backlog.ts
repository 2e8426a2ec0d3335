import type { Queryable } from "../../db/index.js";

export interface QueueBacklog {
  queue: string;
  /** Ready jobs, counted up to the cap (see `readyCapped`). */
  ready: number;
  /** True when the queue has at least `countCap` ready jobs: `ready` is the cap, not the count. */
  readyCapped: boolean;
  /** Seconds since the oldest ready job became due; 0 when none is ready. */
  oldestReadyAgeSeconds: number;
  /** Running jobs whose lease expired. */
  stuck: number;
}

/**
 * The backlog per queue at a cost that does not grow with it (what alerts
 * read every round, unlike `jobStats`, which counts the whole hot table):
 * the queues with ready jobs by a loose scan of the (queue, run_at) ready
 * index, each queue's oldest ready job from its first entry, its ready jobs
 * counted up to `countCap`, and the expired leases from the running index.
 */
export async function readQueueBacklog(db: Queryable, countCap: number): Promise<QueueBacklog[]> {
  const { rows } = await db.query<{
    queue: string;
    ready: number | null;
    oldest: number | null;
    stuck: number | null;
  }>(
    `with recursive queues as (
       (select queue from opskit.jobs where state = 'ready' order by queue limit 1)
       union all
       select (select j.queue from opskit.jobs j where j.state = 'ready' and j.queue > q.queue
                order by j.queue limit 1)
         from queues q where q.queue is not null
     ), ready as (
       select q.queue,
              (select count(*) from (select 1 from opskit.jobs j where j.state = 'ready' and j.queue = q.queue
                                      limit $1) c)::int as ready,
              extract(epoch from now() - (select j.run_at from opskit.jobs j
                                           where j.state = 'ready' and j.queue = q.queue
                                           order by j.run_at limit 1))::float8 as oldest
         from queues q where q.queue is not null
     ), stuck as (
       select queue, count(*)::int as stuck from opskit.jobs
        where state = 'running' and lease_expires_at < now() group by queue
     )
     select coalesce(r.queue, s.queue) as queue, r.ready, r.oldest, s.stuck
       from ready r full join stuck s on s.queue = r.queue
      order by 1`,
    [countCap],
  );
  return rows.map((r) => ({
    queue: r.queue,
    ready: r.ready ?? 0,
    readyCapped: (r.ready ?? 0) >= countCap,
    oldestReadyAgeSeconds: Math.max(0, r.oldest ?? 0),
    stuck: r.stuck ?? 0,
  }));
}
