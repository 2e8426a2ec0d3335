export { createHttpApp, type AppEnv, type HttpAppOptions } from "./create-app.js";
export {
  nodeListener,
  startHttpServer,
  type HttpServer,
  type StartHttpServerOptions,
} from "./http-server.js";
export {
  toHttpError,
  errorCodeForStatus,
  errorEnvelope,
  type ErrorEnvelope,
  type HttpError,
} from "./error-envelope.js";
export { resolveRequestId, MAX_REQUEST_ID_LENGTH } from "./request-id.js";
export { addNodeRoute, nodeRoutesOf, type NodeRoute, type NodeRouteContext } from "./node-route.js";
export { jsonBody, isJsonContentType } from "./json-body.js";
export { postgresClientError, type PostgresClientError } from "./postgres-errors.js";
export { ACCESS_LOG_MODES, loggableHeaders, type AccessLogMode } from "./access-log.js";
export { logRequest, reportRequestError } from "./request-outcome.js";
export { fetchWithRequestId } from "./fetch-with-request-id.js";
