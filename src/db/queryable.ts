import type pg from "pg";

/**
 * Something that runs queries: a pool, a client checked out of one, or a
 * client inside the caller's transaction. Every area's SQL takes this one
 * type, so a write can commit with the caller's own rows.
 */
export interface Queryable {
  query: pg.Pool["query"];
}
