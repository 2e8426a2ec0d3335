import pg from "pg";
import { describeConnectionTarget } from "./connection-target.js";
import { timeClientQueries, type DbLogger, type SlowQuery } from "./slow-query.js";

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;

export interface CreatePoolOptions {
  connectionString: string;
  /** Shown in pg_stat_activity; default "opskit". */
  applicationName?: string;
  /** Maximum connections in the pool; default 10. */
  max?: number;
  /**
   * How long a checkout waits for a connection (new or freed) before it fails
   * with "timeout exceeded when trying to connect" (mapped to a 503); default
   * 10000. 0 waits forever, which turns a database outage into hung requests.
   */
  connectionTimeoutMillis?: number;
  /** Queries taking this long or longer are reported; default 500. */
  slowQueryThresholdMs?: number;
  /**
   * Receives slow-query warnings (`category: "slow_query"`) and the errors of
   * idle connections the server closed (`category: "db"`). A pino logger fits;
   * give it one without a bound `category` (a bound one is kept on every line
   * instead of those, so the key is never written twice).
   */
  logger?: DbLogger;
  /** Called for each slow query, in addition to the logger. */
  onSlowQuery?: (slow: SlowQuery) => void;
}

/**
 * A pg pool with the toolkit's defaults: a bounded checkout wait, slow-query
 * warnings (statement and duration, never parameters) and a listener for
 * idle-connection errors, without which a server restart crashes the process.
 *
 * @example
 * const pool = createPool({ connectionString: process.env.DATABASE_URL!, logger: log });
 * await pool.query("select 1");
 */
export function createPool(options: CreatePoolOptions): Pool {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    application_name: options.applicationName ?? "opskit",
    max: options.max ?? 10,
    connectionTimeoutMillis: options.connectionTimeoutMillis ?? 10_000,
  });
  const { logger, onSlowQuery } = options;
  // pino writes a child's bound fields and a line's own fields side by side:
  // a `category` in both is a JSON line with the key twice (which one a
  // reader keeps is up to it). A bound category wins; give the pool an
  // unbound logger to get `slow_query` and `db` on their lines.
  const bindsCategory = logger?.bindings?.().category !== undefined;
  const category = (name: string) => (bindsCategory ? {} : { category: name });
  const thresholdMs = options.slowQueryThresholdMs ?? 500;
  if (logger !== undefined || onSlowQuery !== undefined) {
    const report = (slow: SlowQuery) => {
      onSlowQuery?.(slow);
      logger?.warn(
        {
          ...category("slow_query"),
          statement: slow.statement,
          duration_ms: slow.durationMs,
          threshold_ms: thresholdMs,
        },
        "slow query",
      );
    };
    // "connect" fires once per new connection, before anyone can use it: both
    // pool.query and pool.connect go through the wrapped client.query.
    pool.on("connect", (client) => timeClientQueries(client, thresholdMs, report));
  }
  // pg-pool listens for a client's errors only while the client is idle in
  // the pool. A client handed out by pool.connect() and not yet given its
  // holder's own listener (the holder's continuation is still queued), or one
  // held between two of its holder's statements, would turn the server's
  // "terminating connection" (57P01, a restart) into an uncaught exception
  // that kills the process. With this listener the error stays the client's:
  // its next statement fails and its holder releases it with that error.
  pool.on("connect", (client) => client.on("error", () => undefined));
  const target = describeConnectionTarget(options.connectionString);
  // pg-pool has already dropped the connection; the pool opens a new one on demand.
  pool.on("error", (error: Error & { code?: string }) => {
    logger?.warn(
      { ...category("db"), target, code: error.code, reason: error.message },
      "an idle database connection was closed; the pool will reconnect",
    );
  });
  return pool;
}
