export {
  createLogger,
  LOG_LEVELS,
  type CreateLoggerOptions,
  type Logger,
  type LoggerSecrets,
  type LogLevel,
  type RootLogger,
} from "./create-logger.js";
export { flushLogs } from "./flush-logs.js";
export { getLogContext, runWithLogContext, type LogContext } from "./log-context.js";
export {
  LOG_CATEGORIES,
  withCategory,
  type KnownLogCategory,
  type LogCategory,
} from "./log-categories.js";
export {
  createRedactor,
  MIN_SECRET_LENGTH,
  redact,
  REDACTED,
  type Redactor,
  type RedactorOptions,
} from "./redactor.js";
export { MASK, maskUrlCredentials } from "./mask-url-credentials.js";
export {
  createSecretKeyMatcher,
  DEFAULT_SECRET_KEYS,
  isSecretKey,
  normalizeKey,
  SECRET_KEY_SUFFIXES,
} from "./secret-keys.js";
export { maskedSecretId } from "./masked-secret-id.js";
export {
  createErrorReporting,
  type ErrorContext,
  type ErrorReporter,
  type ErrorReporting,
} from "./error-reporter.js";
export { sentryReporter, type SentryLike } from "./reporters/sentry.js";
