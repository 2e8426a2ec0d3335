import pg from "pg";

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;

export interface CreatePoolOptions {
  connectionString: string;
  /** Shown in pg_stat_activity; default "opskit". */
  applicationName?: string;
  /** Maximum connections in the pool; default 10. */
  max?: number;
}

/**
 * A pg pool with the toolkit's defaults.
 *
 * @example
 * const pool = createPool({ connectionString: process.env.DATABASE_URL! });
 * await pool.query("select 1");
 */
export function createPool(options: CreatePoolOptions): Pool {
  return new pg.Pool({
    connectionString: options.connectionString,
    application_name: options.applicationName ?? "opskit",
    max: options.max ?? 10,
  });
}
