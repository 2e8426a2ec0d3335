import { OpskitError, toError } from "../errors.js";
import { dependencyFailureReason } from "./map-db-error.js";
import type { Pool, PoolClient } from "./pool.js";

export type IsolationLevel = "read committed" | "repeatable read" | "serializable";

export interface TransactionOptions {
  /** Default: the server's (read committed unless configured otherwise). */
  isolation?: IsolationLevel;
  readOnly?: boolean;
}

const ISOLATION_LEVELS: readonly IsolationLevel[] = [
  "read committed",
  "repeatable read",
  "serializable",
];

/** Savepoint depth per client, so nested calls get distinct savepoint names. */
const savepointDepth = new WeakMap<PoolClient, number>();

/**
 * Runs `fn` in a transaction: begin, `fn(client)`, commit; on a throw, roll
 * back and rethrow. Given a pool, it checks a client out and always releases
 * it, with the error when the connection itself broke so the pool discards
 * it. Given a client already in a transaction, it nests with a savepoint, so
 * helpers can take "a pool or the caller's transaction" alike.
 *
 * @example
 * const order = await withTransaction(pool, async (client) => {
 *   await client.query("insert into orders (id) values ($1)", [id]);
 *   return withTransaction(client, (tx) => addLines(tx, id, lines)); // a savepoint
 * }, { isolation: "serializable" });
 */
export async function withTransaction<T>(
  poolOrClient: Pool | PoolClient,
  fn: (client: PoolClient) => Promise<T>,
  options: TransactionOptions = {},
): Promise<T> {
  if (isClient(poolOrClient)) {
    const status = poolOrClient.getTransactionStatus();
    if (status === "T" || status === "E") return withSavepoint(poolOrClient, fn, options);
    return runTransaction(poolOrClient, fn, options);
  }
  const client = await poolOrClient.connect();
  // A checked-out client has no "error" listener: without this one a dropped
  // connection would crash the process instead of failing this transaction.
  let broken: Error | undefined;
  const onError = (error: Error) => {
    broken ??= error;
  };
  client.on("error", onError);
  try {
    return await runTransaction(client, fn, options, (error) => {
      broken ??= error;
    });
  } catch (error) {
    if (dependencyFailureReason(error) !== undefined) broken ??= toError(error);
    throw error;
  } finally {
    client.off("error", onError);
    client.release(broken);
  }
}

async function runTransaction<T>(
  client: PoolClient,
  fn: (client: PoolClient) => Promise<T>,
  options: TransactionOptions,
  onRollbackFailed: (error: Error) => void = () => undefined,
): Promise<T> {
  await client.query(beginStatement(options));
  let result: T;
  try {
    result = await fn(client);
  } catch (error) {
    // A failed rollback leaves the session in an unknown state: the pool must
    // discard it. The caller's error says more than the rollback's, so it wins.
    await client.query("rollback").catch((rollbackError: unknown) => {
      onRollbackFailed(toError(rollbackError));
    });
    throw error;
  }
  const commit = await client.query("commit");
  // COMMIT of a transaction already aborted by an error that fn caught and
  // ignored answers ROLLBACK, not an error: nothing was written.
  if (commit.command === "ROLLBACK") {
    throw new OpskitError(
      "INTERNAL",
      "The transaction was rolled back instead of committed: a statement in it failed and the error " +
        "was caught inside the transaction. Let the error propagate, or use a nested withTransaction " +
        "(a savepoint) around the statement that may fail.",
    );
  }
  return result;
}

async function withSavepoint<T>(
  client: PoolClient,
  fn: (client: PoolClient) => Promise<T>,
  options: TransactionOptions,
): Promise<T> {
  if (options.isolation !== undefined || options.readOnly !== undefined) {
    throw new OpskitError(
      "INTERNAL",
      "isolation and readOnly apply to the outermost transaction only; pass them there, not to a nested withTransaction.",
    );
  }
  const depth = (savepointDepth.get(client) ?? 0) + 1;
  const name = `opskit_savepoint_${depth}`;
  await client.query(`savepoint ${name}`);
  savepointDepth.set(client, depth);
  try {
    const result = await fn(client);
    await client.query(`release savepoint ${name}`);
    return result;
  } catch (error) {
    await client.query(`rollback to savepoint ${name}`).catch(() => undefined);
    throw error;
  } finally {
    savepointDepth.set(client, depth - 1);
  }
}

function beginStatement(options: TransactionOptions): string {
  let sql = "begin";
  if (options.isolation !== undefined) {
    // Checked because it is spliced into SQL; the type alone does not stop a cast string.
    if (!ISOLATION_LEVELS.includes(options.isolation)) {
      throw new OpskitError(
        "INTERNAL",
        `Unknown isolation level "${String(options.isolation)}"; use one of: ${ISOLATION_LEVELS.join(", ")}.`,
      );
    }
    sql += ` isolation level ${options.isolation}`;
  }
  if (options.readOnly !== undefined) sql += options.readOnly ? " read only" : " read write";
  return sql;
}

function isClient(value: Pool | PoolClient): value is PoolClient {
  return typeof (value as Partial<PoolClient>).release === "function";
}
