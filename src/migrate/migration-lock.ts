import type pg from "pg";
import { OpskitError } from "../errors.js";

/** `application_name` of every session the runner opens: how a stale holder is recognised. */
export const RUNNER_APPLICATION_NAME = "opskit-migrate";

/** The advisory lock key Prisma Migrate takes (`pg_advisory_lock(72707369)`). */
export const PRISMA_LOCK_KEY = 72707369;

export interface LockHolder {
  pid: number;
  application_name: string;
  client_addr: string | null;
  state: string | null;
  query: string;
  /** Seconds since the session entered its current state (for `idle`: how long it has been idle). */
  age_seconds: number;
}

/**
 * What the lock is keyed on. By default the key is derived from the database
 * and the history table, so two services sharing a server (or two schemas in
 * one database) do not block each other; `name` replaces the table part.
 */
export interface LockKey {
  name: string;
}

// One 64-bit key from md5(current_database() || '.' || name); the same
// expression finds the holder in pg_locks (classid = high 32 bits, objid = low).
const KEY_SQL = `('x' || substr(md5(current_database() || '.' || $1::text), 1, 16))::bit(64)::bigint`;

const HOLDER_SQL = (keyExpr: string) => `
  select a.pid, a.application_name, host(a.client_addr) as client_addr, a.state,
         left(a.query, 200) as query,
         extract(epoch from now() - coalesce(a.state_change, a.backend_start))::int as age_seconds
    from pg_locks l join pg_stat_activity a on a.pid = l.pid
   where l.locktype = 'advisory' and l.objsubid = 1 and l.granted
     and ((l.classid::bigint << 32) | l.objid::bigint) = ${keyExpr}
     and l.database = (select oid from pg_database where datname = current_database())`;

/** Who holds the migration lock now, from pg_locks joined with pg_stat_activity. */
export async function findLockHolder(
  client: Pick<pg.ClientBase, "query">,
  key: LockKey,
): Promise<LockHolder | undefined> {
  const { rows } = await client.query<LockHolder>(HOLDER_SQL(KEY_SQL), [key.name]);
  return rows[0];
}

/** Who holds Prisma Migrate's advisory lock, if anyone. */
export async function findPrismaLockHolder(
  client: Pick<pg.ClientBase, "query">,
): Promise<LockHolder | undefined> {
  const { rows } = await client.query<LockHolder>(HOLDER_SQL("$1::bigint"), [PRISMA_LOCK_KEY]);
  return rows[0];
}

/**
 * True when the holder is an orphaned runner: a session tagged by the runner
 * that has sat idle (not in a transaction, not running a statement) for at
 * least `staleMs`. A live runner is never idle for long while it holds the
 * lock: between two statements it is idle for milliseconds.
 */
export function isStaleHolder(holder: LockHolder, staleMs: number): boolean {
  return (
    holder.application_name === RUNNER_APPLICATION_NAME &&
    holder.state === "idle" &&
    holder.age_seconds * 1000 >= staleMs
  );
}

/** Ends a stale holder's session; the server releases its session locks with it. */
export async function terminateHolder(
  client: Pick<pg.ClientBase, "query">,
  holder: LockHolder,
): Promise<boolean> {
  // With a timeout (PG ≥ 14) the call returns once the backend has exited, so
  // the lock is free when it returns; without, the backend may linger a moment.
  const { rows } = await client
    .query<{ ok: boolean }>("select pg_terminate_backend($1, 5000) as ok", [holder.pid])
    .catch(() =>
      client.query<{ ok: boolean }>("select pg_terminate_backend($1) as ok", [holder.pid]),
    );
  return rows[0]?.ok === true;
}

export interface AcquireOptions {
  key: LockKey;
  timeoutMs: number;
  /** An idle runner-tagged holder older than this is terminated; 0 disables. */
  staleMs: number;
  onWait: (holder: LockHolder | undefined, waitedMs: number) => void;
  onStaleTerminated: (holder: LockHolder) => void;
}

/**
 * Takes the session advisory lock of the migration runner, retrying with
 * backoff and reporting the holder on every wait, up to `timeoutMs`. A holder
 * that is an orphaned runner (see isStaleHolder) is terminated, so a runner
 * killed where the server could not notice (a machine gone) does not hang
 * every next deploy.
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
      [options.key.name],
    );
    if (rows[0]?.ok) return;
    const waited = Date.now() - started;
    const holder = await findLockHolder(client, options.key);
    if (holder && options.staleMs > 0 && isStaleHolder(holder, options.staleMs)) {
      if (await terminateHolder(client, holder)) {
        options.onStaleTerminated(holder);
        continue;
      }
    }
    if (waited >= options.timeoutMs) {
      throw new OpskitError(
        "MIGRATION_LOCK_TIMEOUT",
        `The migration lock is still held after ${Math.round(waited / 1000)} s` +
          (holder ? ` by ${describeHolder(holder)}` : "") +
          ". If that runner is gone, run `opskit migrate unlock --stale SECONDS` (it only ends idle runner sessions) and run again.",
        { details: { holder } },
      );
    }
    options.onWait(holder, waited);
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 2, 2_000);
  }
}

export async function releaseMigrationLock(client: pg.ClientBase, key: LockKey): Promise<void> {
  await client.query(`select pg_advisory_unlock(${KEY_SQL})`, [key.name]);
}

/** `pid 123 (opskit-migrate, idle for 40 s, from 10.0.0.5)` */
export function describeHolder(holder: LockHolder): string {
  const state = holder.state ?? "unknown state";
  return (
    `pid ${holder.pid} (${holder.application_name || "no application_name"}, ` +
    `${state} for ${holder.age_seconds} s${holder.client_addr ? `, from ${holder.client_addr}` : ""})`
  );
}
