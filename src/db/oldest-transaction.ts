import type { Queryable } from "./queryable.js";

/** The oldest open transaction of this database that holds back the cleanup of dead rows. */
export interface OldestTransaction {
  pid: number;
  /** Seconds since the transaction began. */
  ageSeconds: number;
  /** `active`, `idle in transaction`, … (pg_stat_activity.state). */
  state: string | null;
  applicationName: string;
}

/**
 * The oldest transaction of the current database that holds a snapshot or a
 * transaction id (`backend_xmin` or `backend_xid`), other than the caller's
 * own. While it is open, rows deleted or updated after it began cannot be
 * pruned: every scan walks them again (a job queue's claims the most: one
 * snapshot held open during a drain took a worker from 29k to 16k jobs/s,
 * `npm run bench -- jobs-scale`, part horizon). Transactions of other
 * databases do not hold back this one's tables, so they are left out.
 */
export async function oldestTransaction(db: Queryable): Promise<OldestTransaction | undefined> {
  const { rows } = await db.query<{
    pid: number;
    age: number;
    state: string | null;
    application_name: string;
  }>(
    `select pid, extract(epoch from now() - xact_start)::float8 as age, state, application_name
       from pg_stat_activity
      where datname = current_database() and pid <> pg_backend_pid()
        and backend_type = 'client backend' and xact_start is not null
        and (backend_xmin is not null or backend_xid is not null)
      order by xact_start
      limit 1`,
  );
  const row = rows[0];
  return row === undefined
    ? undefined
    : {
        pid: row.pid,
        ageSeconds: row.age,
        state: row.state,
        applicationName: row.application_name,
      };
}
