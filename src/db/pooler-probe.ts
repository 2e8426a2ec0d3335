import { randomInt } from "node:crypto";
import pg from "pg";
import { OpskitError, toError } from "../errors.js";
import { describeConnectionTarget } from "./connection-target.js";

export type PoolerMode = "session" | "transaction" | "unknown";

export interface PoolerProbe {
  /** "session": one server session per connection (direct, or session pooling). */
  mode: PoolerMode;
  /** What was observed, in words, for logs and `opskit doctor`. */
  evidence: string[];
}

export interface ProbePoolerOptions {
  /** Bound on connecting and on each probe statement; default 5000. */
  timeoutMs?: number;
}

// The probe's advisory locks use the two-key form under their own first key
// ("op"), so they cannot collide with the application's single-key locks.
const LOCK_NAMESPACE = 0x6f70;

interface ProbeRow {
  pid: number;
  flag: boolean;
}

/**
 * Finds out whether one logical connection keeps one server session, which
 * session advisory locks and `FOR UPDATE` across statements rely on. A
 * transaction-mode pooler (pgbouncer `pool_mode = transaction`, Supavisor
 * port 6543, …) hands each statement to whichever server connection is free.
 *
 * Deterministic without traffic: connection A takes a session advisory lock
 * and notes its backend pid; connection B then opens a transaction, which
 * under transaction pooling takes the server connection A just gave back;
 * A then asks for its pid again and whether its session still holds the lock.
 *
 * @example
 * const { mode, evidence } = await probePoolerMode(process.env.DATABASE_URL!);
 * if (mode === "transaction") console.warn(evidence.join("; "));
 */
export async function probePoolerMode(
  connectionString: string,
  options: ProbePoolerOptions = {},
): Promise<PoolerProbe> {
  const timeoutMs = options.timeoutMs ?? 5000;
  const a = probeClient(connectionString, timeoutMs);
  const b = probeClient(connectionString, timeoutMs);
  const key = randomInt(1, 2 ** 31 - 1);
  const transaction: string[] = [];
  const session: string[] = [];
  let lockPid: number | undefined;
  let bPid: number | undefined;
  let aHolds = false;
  try {
    try {
      await a.connect();
    } catch (error) {
      return { mode: "unknown", evidence: [`could not connect: ${toError(error).message}`] };
    }
    const pids: number[] = [];
    for (let i = 0; i < 3; i++) {
      pids.push((await probe(a, "select pg_backend_pid() as pid, true as flag")).pid);
    }
    if (new Set(pids).size > 1) {
      transaction.push(
        `pg_backend_pid() changed between statements on one connection (${pids.join(", ")})`,
      );
    }

    const first = await probe(
      a,
      "select pg_backend_pid() as pid, pg_try_advisory_lock($1, $2) as flag",
      [LOCK_NAMESPACE, key],
    );
    if (!first.flag) {
      return unknownUnless(transaction, "the probe's advisory lock key was taken; run it again");
    }
    lockPid = first.pid;

    try {
      await b.connect();
      await b.query("begin");
      bPid = (await probe(b, "select pg_backend_pid() as pid, true as flag")).pid;
    } catch (error) {
      const message = toError(error).message;
      if (/statement pooling/i.test(message)) {
        transaction.push(`the pooler refuses transaction blocks (statement pooling): ${message}`);
        return { mode: "transaction", evidence: transaction };
      }
      return unknownUnless(
        transaction,
        `a second connection could not open a transaction while the first was connected (${message}); ` +
          "the pool may be too small to tell",
      );
    }

    // Impossible with one session per connection: B was handed A's server session.
    if (bPid === lockPid) {
      transaction.push(
        `another connection was handed this connection's server session (pid ${lockPid})`,
      );
    }

    let second: ProbeRow;
    try {
      second = await probe(
        a,
        `select pg_backend_pid() as pid, exists (
           select 1 from pg_locks
           where locktype = 'advisory' and classid = $1 and objid = $2 and objsubid = 2
             and pid = pg_backend_pid() and granted) as flag`,
        [LOCK_NAMESPACE, key],
      );
    } catch (error) {
      // Under transaction pooling with one server connection A waits for B's; a direct
      // connection to a hung server times out too, so this alone proves nothing.
      return unknownUnless(
        transaction,
        `a statement timed out while another connection held a transaction (${toError(error).message})`,
      );
    }
    aHolds = second.flag && second.pid === lockPid;
    if (second.pid !== lockPid) {
      transaction.push(
        `pg_backend_pid() changed from ${lockPid} to ${second.pid} while another connection held a transaction`,
      );
    } else {
      session.push(
        `pg_backend_pid() stayed ${lockPid} while another connection held a transaction`,
      );
    }
    if (second.flag) {
      session.push("the session advisory lock stayed held by this session");
    } else {
      transaction.push(
        "a session advisory lock taken by this connection was no longer held by its session",
      );
    }
    return transaction.length > 0
      ? { mode: "transaction", evidence: transaction }
      : { mode: "session", evidence: session };
  } catch (error) {
    return unknownUnless(transaction, `the probe failed: ${toError(error).message}`);
  } finally {
    await releaseLock({ a, b, key, lockPid, bPid, aHolds });
    await Promise.all([a.end().catch(() => undefined), b.end().catch(() => undefined)]);
  }
}

/**
 * Throws `POOLER_TRANSACTION_MODE` when `url` goes through a transaction-mode
 * pooler; the roles that need one server session (migrate: the migration
 * lock; worker: claims held across statements) call it at boot. Returns the
 * probe otherwise, "unknown" included, for the caller to log.
 *
 * @example
 * if (role !== "api") await assertSessionPooling(databaseUrl, role);
 */
export async function assertSessionPooling(
  url: string,
  role: string,
  options: ProbePoolerOptions = {},
): Promise<PoolerProbe> {
  const result = await probePoolerMode(url, options);
  if (result.mode === "transaction") {
    throw new OpskitError(
      "POOLER_TRANSACTION_MODE",
      `The ${role} role cannot run through a transaction-mode pooler at ${describeConnectionTarget(url)} ` +
        `(${result.evidence.join("; ")}). Session advisory locks and FOR UPDATE across statements need ` +
        "one server session per connection. Give the migrate and worker roles a direct connection or a " +
        "session-mode pool (pgbouncer pool_mode = session; a service: OPSKIT_DATABASE_DIRECT_URL); " +
        "the api role may keep the transaction pooler.",
      { details: { role, evidence: result.evidence } },
    );
  }
  return result;
}

function probeClient(connectionString: string, timeoutMs: number): pg.Client {
  const client = new pg.Client({
    connectionString,
    connectionTimeoutMillis: timeoutMs,
    query_timeout: timeoutMs,
    application_name: "opskit-pooler-probe",
  });
  // Failures surface through the awaited calls; an unhandled "error" event would crash the process.
  client.on("error", () => undefined);
  return client;
}

async function probe(client: pg.Client, sql: string, values?: unknown[]): Promise<ProbeRow> {
  const { rows } = await client.query<ProbeRow>(sql, values);
  return rows[0]!;
}

function unknownUnless(transaction: string[], reason: string): PoolerProbe {
  return transaction.length > 0
    ? { mode: "transaction", evidence: transaction }
    : { mode: "unknown", evidence: [reason] };
}

/**
 * The lock belongs to the server session `lockPid`, wherever that session is
 * now: under transaction pooling B is usually sitting on it inside its open
 * transaction and can release it there; otherwise A still owns it.
 */
async function releaseLock(state: {
  a: pg.Client;
  b: pg.Client;
  key: number;
  lockPid: number | undefined;
  bPid: number | undefined;
  aHolds: boolean;
}): Promise<void> {
  const { a, b, key, lockPid, bPid, aHolds } = state;
  if (lockPid === undefined) return;
  const unlock = (client: pg.Client) =>
    client.query("select pg_advisory_unlock($1, $2)", [LOCK_NAMESPACE, key]).catch(() => undefined);
  if (bPid === lockPid) await unlock(b);
  if (bPid !== undefined) await b.query("commit").catch(() => undefined);
  if (aHolds || bPid === undefined) await unlock(a);
}
