import type { Queryable } from "../../db/index.js";

export interface ConnectionCount {
  state: string;
  application_name: string;
  count: number;
}

/** Connections to this database by state and application (one query). */
export async function countConnections(db: Queryable): Promise<ConnectionCount[]> {
  const { rows } = await db.query<ConnectionCount>(
    `select coalesce(state, 'unknown') as state, coalesce(nullif(application_name, ''), '—') as application_name,
            count(*)::int as count
       from pg_stat_activity
      where datname = current_database() and backend_type = 'client backend'
      group by 1, 2 order by 3 desc, 1, 2`,
  );
  return rows;
}

export interface Backend {
  pid: number;
  usename: string | null;
  application_name: string;
  client_addr: string | null;
  state: string | null;
  wait_event_type: string | null;
  wait_event: string | null;
  /** Seconds since the current query (or transaction, when idle in one) started. */
  running_seconds: number;
  xact_seconds: number | null;
  query: string;
  /** Pids this backend waits for (lock waits only). */
  blocked_by: number[];
}

const BACKEND = `a.pid, a.usename, a.application_name, a.client_addr::text, a.state, a.wait_event_type,
  a.wait_event, extract(epoch from now() - coalesce(a.query_start, a.backend_start))::float8 as running_seconds,
  extract(epoch from now() - a.xact_start)::float8 as xact_seconds, left(a.query, 1000) as query,
  pg_blocking_pids(a.pid) as blocked_by`;

/**
 * Backends of this database that are doing something (active, or idle in a
 * transaction), longest first, except the console's own query (one query).
 */
export async function listActiveBackends(db: Queryable, limit = 100): Promise<Backend[]> {
  const { rows } = await db.query<Backend>(
    `select ${BACKEND} from pg_stat_activity a
      where a.datname = current_database() and a.pid <> pg_backend_pid()
        and a.backend_type = 'client backend' and a.state is distinct from 'idle'
      order by coalesce(a.xact_start, a.query_start) nulls last limit $1`,
    [limit],
  );
  return rows;
}

/** One backend of this database, whatever its state. */
export async function findBackend(db: Queryable, pid: number): Promise<Backend | undefined> {
  const { rows } = await db.query<Backend>(
    `select ${BACKEND} from pg_stat_activity a where a.pid = $1 and a.datname = current_database()`,
    [pid],
  );
  return rows[0];
}

export interface LockWait {
  pid: number;
  blocked_by: number[];
  waiting_seconds: number;
  wait_event_type: string | null;
  locked_relation: string | null;
  query: string;
  blocker_queries: { pid: number; state: string | null; query: string }[];
}

/** Who waits on a lock and who holds it up (one query; pg_blocking_pids does the graph). */
export async function listLockWaits(db: Queryable): Promise<LockWait[]> {
  const { rows } = await db.query<LockWait>(
    `select w.pid, pg_blocking_pids(w.pid) as blocked_by,
            extract(epoch from now() - w.state_change)::float8 as waiting_seconds,
            w.wait_event_type, l.relation::regclass::text as locked_relation, left(w.query, 500) as query,
            coalesce((select json_agg(json_build_object('pid', b.pid, 'state', b.state,
                        'query', left(b.query, 300)) order by b.pid)
                        from pg_stat_activity b where b.pid = any(pg_blocking_pids(w.pid))), '[]') as blocker_queries
       from pg_stat_activity w
       left join lateral (select relation from pg_locks where pid = w.pid and not granted limit 1) l on true
      where w.datname = current_database() and cardinality(pg_blocking_pids(w.pid)) > 0
      order by w.state_change`,
  );
  return rows;
}

/** Asks a backend to cancel its current query (`pg_cancel_backend`). */
export async function cancelBackend(db: Queryable, pid: number): Promise<boolean> {
  const { rows } = await db.query<{ ok: boolean }>(
    `select pg_cancel_backend(pid) as ok from pg_stat_activity
      where pid = $1 and datname = current_database() and pid <> pg_backend_pid()`,
    [pid],
  );
  return rows[0]?.ok === true;
}

/** Ends a backend's session (`pg_terminate_backend`); its transaction rolls back. */
export async function terminateBackend(db: Queryable, pid: number): Promise<boolean> {
  const { rows } = await db.query<{ ok: boolean }>(
    `select pg_terminate_backend(pid) as ok from pg_stat_activity
      where pid = $1 and datname = current_database() and pid <> pg_backend_pid()`,
    [pid],
  );
  return rows[0]?.ok === true;
}
