import { OpskitError, isOpskitError } from "../errors.js";

// Socket-level failures: the database (or the network to it) is not there.
const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
]);

// Server states that end or refuse sessions: admin shutdown, crash shutdown, cannot connect now.
const SHUTDOWN_SQLSTATES = new Set(["57P01", "57P02", "57P03"]);

// Prisma's codes for "the database is not there": can't reach (P1001), timed out reaching
// (P1002), operations timed out (P1008), server closed the connection (P1017).
const PRISMA_UNAVAILABLE_CODES = new Set(["P1001", "P1002", "P1008", "P1017"]);

// A Prisma driver adapter's error kinds with the same meaning (in `meta.driverAdapterError.cause`).
const ADAPTER_UNAVAILABLE_KINDS = new Set([
  "DatabaseNotReachable",
  "ConnectionClosed",
  "SocketTimeout",
  "TooManyConnections",
]);

// pg and pg-pool report these as plain Errors without a code.
const UNAVAILABLE_MESSAGES = [
  "timeout exceeded when trying to connect",
  // pg's own connect timeout (connectionTimeoutMillis on a client).
  "timeout expired",
  "Connection terminated",
  "Client has encountered a connection error and is not queryable",
  // Knex's pool: no connection within acquireConnectionTimeout (KnexTimeoutError).
  "Knex: Timeout acquiring a connection",
];

/**
 * Why `error` means "the database is unavailable", or undefined when it does
 * not: a node socket code, a SQLSTATE, pg's or Knex's message, Prisma's
 * P1001/P1002/P1008/P1017 or its driver adapter's error kind. Looks through
 * `cause` chains, Prisma's `meta.driverAdapterError` and `AggregateError`s
 * (node reports a refused dual-stack connect as an AggregateError of one
 * error per address); so Kysely's, Knex's and Drizzle's errors (pg's, or
 * pg's in `cause`) map as pg's do.
 */
export function dependencyFailureReason(error: unknown, depth = 0): string | undefined {
  if (depth > 5 || typeof error !== "object" || error === null) return undefined;
  const { code, message, errorCode, kind, meta } = error as {
    code?: unknown;
    message?: unknown;
    errorCode?: unknown;
    kind?: unknown;
    meta?: { driverAdapterError?: unknown };
  };
  // PrismaClientKnownRequestError has `code`, PrismaClientInitializationError `errorCode`.
  for (const prisma of [code, errorCode]) {
    if (typeof prisma === "string" && PRISMA_UNAVAILABLE_CODES.has(prisma)) return prisma;
  }
  if (typeof kind === "string" && ADAPTER_UNAVAILABLE_KINDS.has(kind)) return kind;
  if (typeof code === "string") {
    if (NETWORK_CODES.has(code) || SHUTDOWN_SQLSTATES.has(code)) return code;
    // Class 08: connection exception; class 53: insufficient resources (53300 too many connections).
    if (/^(08|53)[0-9A-Z]{3}$/.test(code)) return code;
  }
  if (typeof message === "string") {
    const known = UNAVAILABLE_MESSAGES.find((m) => message.includes(m));
    if (known !== undefined) return known;
  }
  if (error instanceof AggregateError) {
    for (const inner of error.errors) {
      const reason = dependencyFailureReason(inner, depth + 1);
      if (reason !== undefined) return reason;
    }
  }
  const adapter = dependencyFailureReason(meta?.driverAdapterError, depth + 1);
  if (adapter !== undefined) return adapter;
  return dependencyFailureReason((error as { cause?: unknown }).cause, depth + 1);
}

/**
 * Turns an error that means "the database is unavailable" into a 503
 * `DEPENDENCY_FAILURE` (the original kept as `cause`); returns every other
 * error untouched, so constraint violations and bugs keep their own meaning.
 *
 * @example
 * try {
 *   await pool.query("select 1");
 * } catch (error) {
 *   throw mapDbError(error); // ECONNREFUSED → OpskitError DEPENDENCY_FAILURE (503)
 * }
 */
export function mapDbError<T>(error: T): T | OpskitError {
  if (isOpskitError(error)) return error;
  const reason = dependencyFailureReason(error);
  if (reason === undefined) return error;
  // This message can reach an HTTP client: no host, no SQL, only the reason.
  return new OpskitError(
    "DEPENDENCY_FAILURE",
    `The database is unavailable (${reason}); retry in a moment.`,
    { cause: error, details: { reason } },
  );
}

/**
 * True when `error` means the database is unavailable (already mapped or not).
 *
 * @example
 * if (isDependencyFailure(error)) res.setHeader("Retry-After", "5");
 */
export function isDependencyFailure(error: unknown): boolean {
  if (isOpskitError(error)) {
    return error.code === "DEPENDENCY_FAILURE" || error.code === "DB_CONNECT_FAILED";
  }
  return dependencyFailureReason(error) !== undefined;
}
