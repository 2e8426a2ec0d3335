import type { ErrorContext, ErrorReporter } from "../error-reporter.js";

/**
 * The part of `@sentry/node` the reporter uses: pass the module itself
 * (`import * as Sentry from "@sentry/node"`), initialised by the service
 * (`Sentry.init({ dsn })`). Taking the module instead of importing it keeps
 * `@sentry/node` out of opskit's dependencies: a service that reports
 * elsewhere never installs it, and the one that does uses its own version.
 */
export interface SentryLike {
  captureException(
    exception: unknown,
    hint?: { tags?: Record<string, string>; extra?: Record<string, unknown> },
  ): string;
  flush(timeout?: number): PromiseLike<boolean>;
}

/**
 * Reports to Sentry: each error as an exception event tagged with its
 * `source` and `request_id` (searchable in Sentry's UI), the other context
 * fields as extra data.
 *
 * @example
 * import * as Sentry from "@sentry/node";
 * Sentry.init({ dsn: process.env.SENTRY_DSN });
 * await runService({ …, reporters: [sentryReporter(Sentry)] });
 */
export function sentryReporter(sentry: SentryLike): ErrorReporter {
  return {
    reportError(error: Error, context: ErrorContext) {
      const { source, requestId, ...extra } = context;
      const tags: Record<string, string> = { source };
      if (requestId !== undefined) tags.request_id = requestId;
      sentry.captureException(error, { tags, extra });
    },
    async flush(timeoutMs: number) {
      return sentry.flush(timeoutMs);
    },
  };
}
