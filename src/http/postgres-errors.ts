import { findDatabaseError } from "../db/index.js";
import type { ErrorCode } from "../errors.js";

/** A database error that the request caused, as the client is told it. */
export interface PostgresClientError {
  status: number;
  code: ErrorCode;
  /** Safe to send: no SQL, no constraint or column name, no value. */
  message: string;
  sqlstate: string;
  /** For the log only. */
  constraint: string | undefined;
}

// Integrity violations (class 23): the request conflicts with stored data or breaks a rule of it.
const INTEGRITY: Record<string, Omit<PostgresClientError, "sqlstate" | "constraint">> = {
  "23505": {
    status: 409,
    code: "CONFLICT",
    message: "A resource with the same unique values already exists.",
  },
  "23503": {
    status: 409,
    code: "CONFLICT",
    message:
      "The request refers to a resource that does not exist, or removes one that others still refer to.",
  },
  "23P01": {
    status: 409,
    code: "CONFLICT",
    message: "The request conflicts with an existing resource (an exclusion rule).",
  },
  "23514": {
    status: 422,
    code: "UNPROCESSABLE",
    message: "A value breaks a rule of the data (a check constraint).",
  },
  "23502": {
    status: 422,
    code: "UNPROCESSABLE",
    message: "A required value is missing.",
  },
};

// Data exceptions (class 22): a value the database cannot take as it was sent.
const DATA_MESSAGES: Record<string, string> = {
  "22001": "A value is too long.",
  "22003": "A number is out of range.",
  "22007": "A date or time is not valid.",
  "22008": "A date or time is out of range.",
  "22021": "The request holds bytes the database cannot store (a NUL byte or invalid UTF-8).",
  "22P02": "A value is not in the form the database expects.",
  "22P05": "The request holds a character the database cannot store (\\u0000 or a lone surrogate).",
  "22012": "A division by zero.",
};

/**
 * Maps a Postgres error raised while serving a request to the 4xx that the
 * request itself caused: 23505/23503/23P01 → 409 `CONFLICT`, 23514/23502 →
 * 422 `UNPROCESSABLE`, any data exception (class 22: 22P02, 22003, 22021,
 * 22007/22008, 22P05 …) → 400 `BAD_REQUEST`. Undefined for every other
 * error (a bug stays a 500, an outage a 503). The handler that expects one
 * of these should answer it itself (an idempotent create returns the
 * existing row); this is the net under every handler of every service, so
 * that input never becomes a 500.
 *
 * The error is found however the library wrapped it (pg, Kysely, Knex,
 * Drizzle's `DrizzleQueryError`, Prisma's P2002/P2010 with its driver
 * adapter's SQLSTATE): see `findDatabaseError` in opskit/db.
 *
 * The message is fixed per SQLSTATE: Postgres's own text names tables,
 * columns, constraints and (for 23505, 22P02) the values, none of which may
 * reach a client.
 *
 * @example
 * postgresClientError(uniqueViolation); // { status: 409, code: "CONFLICT", … }
 */
export function postgresClientError(thrown: unknown): PostgresClientError | undefined {
  const error = findDatabaseError(thrown);
  if (error === undefined) return undefined;
  const sqlstate = error.sqlstate;
  const integrity = INTEGRITY[sqlstate];
  if (integrity) return { ...integrity, sqlstate, constraint: error.constraint };
  if (sqlstate.startsWith("22")) {
    return {
      status: 400,
      code: "BAD_REQUEST",
      message: DATA_MESSAGES[sqlstate] ?? "A value in the request is not valid for the database.",
      sqlstate,
      constraint: undefined,
    };
  }
  return undefined;
}
