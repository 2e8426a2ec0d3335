import { HTTPException } from "hono/http-exception";
import { ERROR_CODES, OpskitError, type AppErrorCode, type ErrorCode } from "../errors.js";
import { mapDbError } from "../db/index.js";
import { postgresClientError } from "./postgres-errors.js";

/** The body of every error response: `{"error":{"code","message","requestId"}}`. */
export interface ErrorEnvelope {
  error: { code: ErrorCode | AppErrorCode; message: string; requestId: string; details?: unknown };
}

export interface HttpError {
  status: number;
  code: ErrorCode | AppErrorCode;
  /** Safe to send: never a stack, SQL, or a dependency's raw message. */
  message: string;
  /** Extra detail that is safe for the client (e.g. validation issues). */
  details?: unknown;
  /** True when the error is ours to fix (5xx that is not a dependency failure). */
  unexpected: boolean;
  /** The SQLSTATE of a database error the request caused (logged, not sent). */
  sqlstate?: string;
}

const STATUS_CODES: Record<number, ErrorCode> = {
  400: "BAD_REQUEST",
  401: "UNAUTHORIZED",
  403: "FORBIDDEN",
  404: "NOT_FOUND",
  409: "CONFLICT",
  413: "PAYLOAD_TOO_LARGE",
  415: "UNSUPPORTED_MEDIA_TYPE",
  422: "UNPROCESSABLE",
  503: "DEPENDENCY_FAILURE",
};

/**
 * The catalogue's code for an HTTP status a framework answered with: its own
 * where the catalogue has one, else `BAD_REQUEST` below 500 and `INTERNAL`
 * from 500.
 */
export function errorCodeForStatus(status: number): ErrorCode {
  return STATUS_CODES[status] ?? (status >= 500 ? "INTERNAL" : "BAD_REQUEST");
}

/**
 * What a client is told about an error. Known errors keep their code and
 * message; a database outage becomes 503 `DEPENDENCY_FAILURE`; a database
 * error the request caused becomes its 4xx (see `postgresClientError`:
 * 409, 422 or 400, with a fixed message); anything else
 * is a 500 with a generic message (the detail goes to the log, keyed by the
 * request id).
 */
export function toHttpError(thrown: unknown): HttpError {
  const error = mapDbError(thrown);
  if (error instanceof OpskitError) {
    const expose = error.code !== "INTERNAL";
    return {
      status: error.status,
      code: error.code,
      message: expose ? error.message : ERROR_CODES.INTERNAL.summary,
      details: error.code === "BAD_REQUEST" ? error.details : undefined,
      unexpected: error.status >= 500 && error.code !== "DEPENDENCY_FAILURE",
    };
  }
  const fromPostgres = postgresClientError(error);
  if (fromPostgres) {
    const { status, code, message, sqlstate } = fromPostgres;
    return { status, code, message, unexpected: false, sqlstate };
  }
  if (error instanceof HTTPException) {
    const status = error.status;
    const code = errorCodeForStatus(status);
    return { status, code, message: ERROR_CODES[code].summary, unexpected: status >= 500 };
  }
  return { status: 500, code: "INTERNAL", message: ERROR_CODES.INTERNAL.summary, unexpected: true };
}

export function errorEnvelope(error: HttpError, requestId: string): ErrorEnvelope {
  return {
    error: {
      code: error.code,
      message: error.message,
      requestId,
      ...(error.details === undefined ? {} : { details: error.details }),
    },
  };
}
