import { ERROR_CODES, OpskitError, type ErrorCode } from "../errors.js";

const CODES: Record<number, ErrorCode> = {
  400: "BAD_REQUEST",
  401: "UNAUTHORIZED",
  403: "FORBIDDEN",
  404: "NOT_FOUND",
  409: "CONFLICT",
  413: "PAYLOAD_TOO_LARGE",
  415: "UNSUPPORTED_MEDIA_TYPE",
  422: "UNPROCESSABLE",
};

/**
 * A framework's own 4xx (a body that is not JSON, one over the parser's cap,
 * a failed schema: Fastify's `statusCode`, Express's body-parser `status`,
 * Nest's `HttpException`) as an `OpskitError` with the code of its status.
 * The message is the catalogue's unless `message` is given (Nest's
 * exceptions are written for the client): a parser's own text may quote the
 * body. Anything else is returned as it was.
 */
export function frameworkClientError(thrown: unknown, message?: string): unknown {
  if (thrown instanceof OpskitError || thrown === null || typeof thrown !== "object") return thrown;
  const { status, statusCode } = thrown as { status?: unknown; statusCode?: unknown };
  const value = typeof statusCode === "number" ? statusCode : status;
  if (typeof value !== "number" || value < 400 || value >= 500) return thrown;
  const code = CODES[value] ?? "BAD_REQUEST";
  return new OpskitError(code, message ?? ERROR_CODES[code].summary, {
    status: value,
    cause: thrown,
  });
}
