import { toError } from "../errors.js";
import type { Logger } from "./create-logger.js";
import { getLogContext } from "./log-context.js";

/** Where an error was seen, and what identifies its request or job. */
export interface ErrorContext {
  /** `http` (a 5xx answered to a request), `job` (a dead job), `process` (an unhandled rejection). */
  source: "http" | "job" | "process";
  /** The request's id, when the error happened inside a request (also read from the log context). */
  requestId?: string;
  /** Any other safe fields (route, method, job id, task): what the log line and the reporter carry. */
  [field: string]: string | number | undefined;
}

/**
 * Something that takes errors somewhere a developer will see them (Sentry,
 * Honeybadger, a Slack channel…). Called after the error is logged; it must
 * not throw (a throw is logged and swallowed) and should return quickly
 * (queue, then send).
 */
export interface ErrorReporter {
  reportError(error: Error, context: ErrorContext): void;
  /** Sends what is queued; called at shutdown with the time left. */
  flush?(timeoutMs: number): Promise<unknown>;
}

/** What the service (and every adapter) reports through: the logger first, then each reporter. */
export interface ErrorReporting {
  report(thrown: unknown, context: ErrorContext): void;
  flush(timeoutMs: number): Promise<boolean>;
}

/**
 * Routes an error through the logger (category `error`) and on to every
 * reporter, with the request id of the current log context when the caller
 * gave none. A reporter that throws is logged and skipped; the others still
 * hear the error.
 *
 * @example
 * const reporting = createErrorReporting({ log, reporters: [sentryReporter(Sentry)] });
 * reporting.report(err, { source: "job", job_id: "42" });
 */
export function createErrorReporting(options: {
  log: Logger;
  reporters?: readonly ErrorReporter[];
  /** False when the caller already logged the error (the HTTP app logs every 5xx itself). */
  logged?: boolean;
}): ErrorReporting {
  const log = options.log.child({ category: "error" });
  const reporters = options.reporters ?? [];
  return {
    report(thrown, context) {
      const error = toError(thrown);
      const requestId = context.requestId ?? getLogContext()?.request_id;
      const full: ErrorContext =
        requestId === undefined ? context : { ...context, requestId: String(requestId) };
      if (context.source !== "http") log.error({ err: error, ...full }, "error reported");
      for (const reporter of reporters) {
        try {
          reporter.reportError(error, full);
        } catch (failure) {
          log.warn({ err: toError(failure) }, "an error reporter failed");
        }
      }
    },
    async flush(timeoutMs) {
      const results = await Promise.allSettled(
        reporters.map(async (r) => (r.flush ? r.flush(timeoutMs) : true)),
      );
      return results.every((r) => r.status === "fulfilled" && r.value !== false);
    },
  };
}
