import type { QueryResultRow } from "pg";

/** A statement with its parameters (`$1`, `$2` …), as pg's query config. */
export interface QueryConfigLike {
  text: string;
  values?: unknown[];
  /** A prepared statement's name; an executor without named statements ignores it. */
  name?: string;
}

/** What every area reads from a result: the rows, and the rows a command touched. */
export interface QueryResultLike<R> {
  rows: R[];
  rowCount: number | null;
}

/**
 * Something that runs queries: a pool, a client checked out of one, a client
 * inside the caller's transaction, or an ORM's transaction turned into one
 * (`opskit/orm/prisma`, `opskit/orm/kysely`, `opskit/orm/drizzle`,
 * `opskit/orm/knex`). Every area's SQL takes this one type, so a write can
 * commit with the caller's own rows.
 *
 * It is the part of pg's `query` that the toolkit uses: text (or a config)
 * with positional `$n` parameters, answered with `rows` and `rowCount` as pg
 * parses them (int8 and numeric as strings, timestamptz as Date, json parsed).
 */
export interface Queryable {
  // `any` as pg's own default: a caller names the row type when it reads fields.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  query<R extends QueryResultRow = any>(
    query: string | QueryConfigLike,
    values?: unknown[],
  ): Promise<QueryResultLike<R>>;
}
