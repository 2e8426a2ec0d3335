/**
 * Helpers for job-queue tests: a database copy with a pool, and waiting on a
 * condition read from the database (never a fixed sleep).
 */
import { createPool, type Pool } from "../src/db/index.js";
import { createTestDatabase, type TestDatabase } from "./db.js";
export { waitUntil } from "../src/testing/index.js";

export async function withPool<T>(
  fn: (pool: Pool, db: TestDatabase) => Promise<T>,
  options: { max?: number } = {},
): Promise<T> {
  const db = await createTestDatabase();
  const pool = createPool({ connectionString: db.url, max: options.max ?? 20 });
  // pool.end() waits for every checked-out client: a test that failed before
  // stopping its worker (whose listener holds one) would hang there and hide
  // its own error. The drop ends whatever connection is left.
  const cleanUp = async (): Promise<boolean> => {
    let timer: NodeJS.Timeout | undefined;
    const ended = await Promise.race([
      pool.end().then(() => true),
      new Promise<false>((resolve) => (timer = setTimeout(resolve, 5_000, false))),
    ]);
    clearTimeout(timer);
    await db.drop();
    return ended;
  };
  let result: T;
  try {
    result = await fn(pool, db);
  } catch (error) {
    await cleanUp();
    throw error;
  }
  if (!(await cleanUp()))
    throw new Error("pool.end() did not finish: a worker or client still holds a connection");
  return result;
}

export async function count(pool: Pool, sql: string, values: unknown[] = []): Promise<number> {
  const { rows } = await pool.query<{ n: string }>(`select count(*) as n from (${sql}) x`, values);
  return Number(rows[0]!.n);
}

/** A promise with its resolve function, for handlers that signal a test. */
export function deferred<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}
