import { isSecretKey } from "../log/index.js";

/**
 * `OPSKIT_ACCESS_LOG`: the per-request log line. `off`: none (errors are
 * still logged); `on`: method, route, status, duration; `full`: the same
 * plus the request's headers, the secret ones left out (for staging, where
 * a request must be replayed from its log line).
 */
export type AccessLogMode = "off" | "on" | "full";

/** The values `OPSKIT_ACCESS_LOG` takes. */
export const ACCESS_LOG_MODES: readonly AccessLogMode[] = ["off", "on", "full"];

/**
 * The headers a `full` access log line carries: every header but the secret
 * ones (`authorization`, `cookie`, `x-api-key`, anything ending in `token`,
 * `secret`…, as the logger's own redaction decides), which are left out
 * rather than masked so that a log line never says a credential was there.
 *
 * @example
 * loggableHeaders({ accept: "text/html", authorization: "Bearer …" }); // { accept: "text/html" }
 */
export function loggableHeaders(
  headers: Iterable<[string, string]> | Record<string, string | string[] | undefined>,
): Record<string, string> {
  const entries = Symbol.iterator in headers ? [...headers] : Object.entries(headers);
  const kept: Record<string, string> = {};
  for (const [name, value] of entries) {
    if (value === undefined || isSecretKey(name)) continue;
    kept[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : value;
  }
  return kept;
}
