import type pg from "pg";
import { OpskitError } from "../errors.js";

export interface LockHolder {
  pid: number;
  application_name: string;
  client_addr: string | null;
  state: string | null;
  query: string;
  age_seconds: number;
}

// The key is derived from the database and the history table, so two
// services sharing a server do not block each other.
const KEY_SQL = `('x' || substr(md5(current_database() || '.' || $1::text), 1, 16))::bit(64)::bigint`;

/** Who holds the migration lock now, from pg_locks joined with pg_stat_activity. */
export async function findLockHolder(
  client: pg.ClientBase,
  table: string,
): Promise<LockHolder | undefined> {
  const { rows } = await client.query<LockHolder>(
    `select a.pid, a.application_name, a.client_addr::text, a.state,
            left(a.query, 200) as query,
            extract(epoch from now() - coalesce(a.state_change, a.backend_start))::int as age_seconds
       from pg_locks l join pg_stat_activity a on a.pid = l.pid
      where l.locktype = 'advisory' and l.objsubid = 1 and l.granted
        and ((l.classid::bigint << 32) | l.objid::bigint) = ${KEY_SQL}
        and l.database = (select oid from pg_database where datname = current_database())`,
    [table],
  );
  return rows[0];
}

export interface AcquireOptions {
  table: string;
  timeoutMs: number;
  onWait: (holder: LockHolder | undefined, waitedMs: number) => void;
}

/**
 * Takes the session advisory lock of the migration runner, retrying with
 * backoff and reporting the holder on every wait, up to `timeoutMs`.
 */
export async function acquireMigrationLock(
  client: pg.ClientBase,
  options: AcquireOptions,
): Promise<void> {
  const started = Date.now();
  let delay = 100;
  for (;;) {
    const { rows } = await client.query<{ ok: boolean }>(
      `select pg_try_advisory_lock(${KEY_SQL}) as ok`,
      [options.table],
    );
    if (rows[0]?.ok) return;
    const waited = Date.now() - started;
    const holder = await findLockHolder(client, options.table);
    if (waited >= options.timeoutMs) {
      throw new OpskitError(
        "MIGRATION_LOCK_TIMEOUT",
        `The migration lock is still held after ${Math.round(waited / 1000)} s` +
          (holder
            ? ` by pid ${holder.pid} (${holder.application_name || "no application_name"}, ${holder.state ?? "unknown state"}, ${holder.age_seconds} s)`
            : "") +
          ". If that runner is gone, end its session (pg_terminate_backend) and run again.",
        { details: { holder } },
      );
    }
    options.onWait(holder, waited);
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 2, 2_000);
  }
}

export async function releaseMigrationLock(client: pg.ClientBase, table: string): Promise<void> {
  await client.query(`select pg_advisory_unlock(${KEY_SQL})`, [table]);
}
