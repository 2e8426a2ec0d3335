import { sql, type SQL } from "drizzle-orm";
import pg from "pg";
import type { Queryable, QueryResultLike } from "../db/index.js";
import { splitAtParameters, statementOf } from "./sql-text.js";

/** What `tx.execute(sql)` answers on drizzle-orm/node-postgres: pg's own result. */
interface NodePgResult {
  rows: Record<string, unknown>[];
  rowCount: number | null;
  fields?: { name: string; dataTypeID: number }[];
}

/**
 * The part of a Drizzle database or transaction that raw SQL needs
 * (drizzle-orm/node-postgres). Drizzle's `execute` returns a query promise.
 */
export interface DrizzleExecute {
  execute(query: SQL): PromiseLike<unknown>;
}

// Types drizzle-orm/node-postgres leaves as text (it parses them itself for its columns):
// timestamp, timestamptz, date, interval, and their arrays; numeric[].
const LEFT_AS_TEXT = new Set([1114, 1184, 1082, 1186, 1115, 1185, 1182, 1187, 1231]);

/**
 * Turns a Drizzle transaction (`db.transaction(async (tx) => …)`) on
 * drizzle-orm/node-postgres into the executor every opskit function takes,
 * so opskit's rows commit or roll back with the application's. The
 * statement is rebuilt as Drizzle's `sql` with each `$n` as a bound
 * parameter (Drizzle numbers them again, in order; no value is written into
 * the text). The columns Drizzle leaves as text (timestamps, dates,
 * intervals) are parsed with pg's parsers, so values come back as pg gives
 * them.
 *
 * @example
 * await db.transaction(async (tx) => {
 *   await tx.insert(orders).values({ ref });
 *   await queue.add(sendReceipt, { ref }, { tx: fromDrizzle(tx) });
 * });
 */
export function fromDrizzle(tx: DrizzleExecute): Queryable {
  return {
    async query(query, values) {
      const statement = statementOf(query, values);
      const { chunks, params } = splitAtParameters(statement.text, statement.values);
      const built = sql.empty();
      chunks.forEach((chunk, k) => {
        built.append(sql.raw(chunk));
        // sql.param: one bound value even for an array (a bare array in sql`` becomes a list).
        if (k < params.length) built.append(sql`${sql.param(params[k])}`);
      });
      const result = (await tx.execute(built)) as Partial<NodePgResult> | undefined;
      if (!Array.isArray(result?.rows)) {
        throw new TypeError(
          "fromDrizzle needs drizzle-orm/node-postgres: its execute() result has no rows array.",
        );
      }
      const rows = reparse(result.rows, result.fields ?? []);
      return { rows, rowCount: result.rowCount ?? null } as QueryResultLike<never>;
    },
  };
}

function reparse(
  rows: Record<string, unknown>[],
  fields: { name: string; dataTypeID: number }[],
): Record<string, unknown>[] {
  const parsers = fields
    .filter((f) => LEFT_AS_TEXT.has(f.dataTypeID))
    .map((f) => ({ name: f.name, parse: textParser(f.dataTypeID) }));
  if (parsers.length === 0) return rows;
  for (const row of rows) {
    for (const { name, parse } of parsers) {
      const value = row[name];
      if (typeof value === "string") row[name] = parse(value);
    }
  }
  return rows;
}

// pg's parser for a type's text form: the one a plain pg query would have used.
function textParser(oid: number): (value: string) => unknown {
  return pg.types.getTypeParser(oid, "text") as (value: string) => unknown;
}
