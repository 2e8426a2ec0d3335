import { OpskitError } from "../errors.js";
import type { Logger } from "../log/index.js";
import type { AccessLogMode } from "./access-log.js";
import { toHttpError, type HttpError } from "./error-envelope.js";

/**
 * What the HTTP app does at the end of every request, through Hono or on a
 * Node route (node-dispatcher.ts): one place, so both paths log alike.
 */

/**
 * The access log line: at debug for quiet paths (probes, scrapes), info
 * otherwise; none with `OPSKIT_ACCESS_LOG=off`, the headers too (the secret
 * ones left out) with `full`.
 */
export function logRequest(
  log: Logger,
  quiet: ReadonlySet<string>,
  path: string,
  request: {
    method: string | undefined;
    route: string;
    status: number;
    started: number;
    headers?: () => Record<string, string>;
  },
  mode: AccessLogMode = "on",
): void {
  if (mode === "off") return;
  const level = quiet.has(path) ? "debug" : "info";
  if (!log.isLevelEnabled(level)) return;
  const line = {
    method: request.method,
    route: request.route,
    status: request.status,
    duration_ms: Math.round((performance.now() - request.started) * 100) / 100,
    ...(mode === "full" && request.headers ? { headers: request.headers() } : {}),
  };
  log[level](line, "request");
}

/** Logs a failed request's error as what it says about the service, and returns its HTTP form. */
export function reportRequestError(log: Logger, thrown: unknown): HttpError {
  const error = toHttpError(thrown);
  if (error.unexpected) log.child({ category: "error" }).error({ err: thrown }, "request failed");
  else if (error.status >= 500) log.warn({ err: thrown, code: error.code }, "dependency failure");
  // A request the database refused (a duplicate, a value out of range): the
  // client's to fix, but worth a line — a handler that should have answered it
  // itself (an idempotent create) shows up here.
  else if (error.sqlstate !== undefined) {
    const { constraint } = thrown as { constraint?: string };
    log.info(
      { sqlstate: error.sqlstate, constraint, status: error.status },
      "request refused by the database",
    );
  }
  return error;
}

/** The app's answer to a body over its cap (413). */
export function bodyTooLarge(): OpskitError {
  return new OpskitError("PAYLOAD_TOO_LARGE", "The request body is over the size cap.");
}

/** `Retry-After` of a 503: the client may try again in 5 s. */
export const RETRY_AFTER_SECONDS = "5";
