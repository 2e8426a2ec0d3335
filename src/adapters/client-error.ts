import { ERROR_CODES, OpskitError } from "../errors.js";
import { errorCodeForStatus } from "../http/index.js";

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
  const code = errorCodeForStatus(value);
  return new OpskitError(code, message ?? ERROR_CODES[code].summary, {
    status: value,
    cause: thrown,
  });
}
