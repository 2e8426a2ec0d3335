import type { Logger } from "pino";

/**
 * The `category` field of a log line: what part of the service wrote it, so
 * an operator can filter (`category=slow_query`) without knowing module names.
 */
export const LOG_CATEGORIES = [
  "startup",
  "http",
  "db",
  "slow_query",
  "auth",
  "migrate",
  "jobs",
  "shutdown",
  "error",
] as const;

export type KnownLogCategory = (typeof LOG_CATEGORIES)[number];

/** A known category, or a new one (the list grows with the toolkit: `inbox`, `backup`, …). */
// `string & {}` keeps editor completion for the known names while accepting others.
export type LogCategory = KnownLogCategory | (string & {});

/**
 * A child logger whose lines carry `category`.
 *
 * @example
 * const dbLog = withCategory(log, "db");
 * dbLog.warn({ duration_ms: 812 }, "slow query"); // {"category":"db",…}
 */
export function withCategory(log: Logger, category: LogCategory): Logger {
  return log.child({ category });
}
