import pg from "pg";

/** The advisory lock key of the alert evaluator (one leader per database). */
export const ALERTS_LEADER_LOCK_KEY = 7_256_831_904_117n;

export interface LeaderLock {
  /**
   * Takes the lock if free, or confirms it still holds it; false when another
   * node leads. A leader also gets the database's clock (one round trip for both).
   */
  acquire(): Promise<{ leader: boolean; now: Date }>;
  isLeader(): boolean;
  /** Releases the lock and closes the session. */
  release(): Promise<void>;
}

/**
 * Leadership by a session-level advisory lock on a dedicated connection (not
 * the pool: a pooled client returns to the pool and the lock with it). When
 * the leader's process dies, Postgres ends its session and frees the lock,
 * and the next `acquire()` of a replica — one evaluation interval later at
 * most — takes it. A session that errors loses leadership at once; the next
 * round reconnects. Through a transaction-mode pooler session locks do not
 * work: the service refuses such a pooler at boot (docs/db.md).
 */
export function createLeaderLock(
  connectionString: string,
  applicationName: string,
  options: {
    /**
     * How long one round (connect, then one statement) may take before the
     * session is dropped and the round answers "not leader". Without it a
     * round started while Postgres is down waits as long as a pooler holds
     * it (pgbouncer's query_wait_timeout: 120 s), and the evaluator with it.
     */
    roundTimeoutMs?: number;
  } = {},
): LeaderLock {
  const timeoutMs = options.roundTimeoutMs ?? 10_000;
  let client: pg.Client | undefined;
  let leader = false;
  const drop = () => {
    const c = client;
    client = undefined;
    leader = false;
    if (!c) return;
    c.removeAllListeners();
    // A dropped session can still emit errors: behind pgbouncer a server
    // restart is two (the server's 57P01, then pgbouncer's "server conn
    // crashed?"). With no listener the second one is an uncaught 'error'
    // event that kills the process.
    c.on("error", () => undefined);
    void c.end().catch(() => undefined);
  };
  return {
    async acquire() {
      try {
        if (!client) {
          const c = new pg.Client({
            connectionString,
            application_name: applicationName,
            connectionTimeoutMillis: timeoutMs,
            query_timeout: timeoutMs,
          });
          // An error of a session already dropped must not drop its successor.
          c.on("error", () => {
            if (client === c) drop();
          });
          client = c;
          await c.connect();
        }
        if (leader) {
          // Confirms the session (and so the lock) is still there.
          const { rows } = await client.query<{ now: Date }>("select now() as now");
          return { leader, now: rows[0]!.now };
        }
        const { rows } = await client.query<{ ok: boolean; now: Date }>(
          "select pg_try_advisory_lock($1::bigint) as ok, now() as now",
          [ALERTS_LEADER_LOCK_KEY.toString()],
        );
        leader = rows[0]?.ok === true;
        return { leader, now: rows[0]!.now };
      } catch {
        drop();
        return { leader: false, now: new Date() };
      }
    },
    isLeader: () => leader,
    async release() {
      const c = client;
      client = undefined;
      leader = false;
      if (!c) return;
      c.removeAllListeners();
      c.on("error", () => undefined);
      await c.end().catch(() => undefined);
    },
  };
}
