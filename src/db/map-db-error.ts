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

// pg and pg-pool report these as plain Errors without a code.
const UNAVAILABLE_MESSAGES = [
  "timeout exceeded when trying to connect",
  // pg's own connect timeout (connectionTimeoutMillis on a client).
  "timeout expired",
  "Connection terminated",
  "Client has encountered a connection error and is not queryable",
];

/**
 * Why `error` means "the database is unavailable", or undefined when it does
 * not: a node socket code, a SQLSTATE, or pg's own message. Looks through
 * `cause` chains and `AggregateError`s (node reports a refused dual-stack
 * connect as an AggregateError of one error per address).
 */
export function dependencyFailureReason(error: unknown, depth = 0): string | undefined {
  if (depth > 5 || typeof error !== "object" || error === null) return undefined;
  const { code, message } = error as { code?: unknown; message?: unknown };
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
