import { performance } from "node:perf_hooks";
import type pg from "pg";

/** A query that took at least the threshold. Never holds the parameters. */
export interface SlowQuery {
  /** The first non-blank line of the SQL text, at most 200 characters. */
  statement: string;
  durationMs: number;
}

/** The one method the pool needs from a logger; a pino logger fits. */
export interface DbLogger {
  warn(obj: object, msg: string): void;
  /** A pino logger's bound fields: a bound `category` is not written again (pino would repeat the key). */
  bindings?(): Record<string, unknown>;
}

const STATEMENT_MAX = 200;

/**
 * What a slow-query report shows of a statement: its first non-blank line,
 * cut at 200 characters. Parameters are never part of it; literals written
 * into that first line are, which is one more reason to use parameters.
 *
 * @example
 * statementSummary("select *\nfrom orders where id = $1"); // "select *"
 */
export function statementSummary(sql: unknown): string {
  const text =
    typeof sql === "string"
      ? sql
      : typeof sql === "object" &&
          sql !== null &&
          typeof (sql as { text?: unknown }).text === "string"
        ? (sql as { text: string }).text
        : "";
  const line = text.split("\n").find((l) => l.trim() !== "") ?? "";
  const trimmed = line.trim();
  return trimmed.length > STATEMENT_MAX ? `${trimmed.slice(0, STATEMENT_MAX - 1)}…` : trimmed;
}

type QueryFunction = (...args: unknown[]) => unknown;

/**
 * Wraps `client.query` so each call that takes `thresholdMs` or longer is
 * reported, whether it succeeded or failed (a lock wait that ends in a
 * timeout is exactly what should show up). pg-pool itself calls
 * `client.query(text, values, callback)`, so callback calls are timed as well
 * as promise calls; submittables (cursors, streams) pass through untimed.
 * The duration includes time queued behind earlier queries on the same client.
 */
export function timeClientQueries(
  client: pg.ClientBase,
  thresholdMs: number,
  report: (slow: SlowQuery) => void,
): void {
  const query = client.query.bind(client) as QueryFunction;
  const timed: QueryFunction = (...args) => {
    const started = performance.now();
    const finish = () => {
      const durationMs = performance.now() - started;
      if (durationMs < thresholdMs) return;
      try {
        report({ statement: statementSummary(args[0]), durationMs: Math.round(durationMs) });
      } catch {
        // A failing logger must not fail (or leave unsettled) the query it reports on.
      }
    };
    const last = args.at(-1);
    if (typeof last === "function") {
      args[args.length - 1] = (...results: unknown[]) => {
        finish();
        return (last as QueryFunction)(...results);
      };
      return query(...args);
    }
    const result = query(...args);
    if (isThenable(result)) void Promise.resolve(result).then(finish, finish);
    return result;
  };
  client.query = timed as typeof client.query;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { then?: unknown }).then === "function"
  );
}
