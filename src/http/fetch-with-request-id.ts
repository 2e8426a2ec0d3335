import { getLogContext } from "../log/index.js";

/**
 * `fetch` that passes the current request's id on: inside a request (or a
 * job a request enqueued) it adds `X-Request-Id` from the log context, so
 * the called service logs under the same id. A header the caller set wins;
 * outside a request it is plain `fetch`.
 *
 * @example
 * const res = await fetchWithRequestId("https://inventory.internal/stock", { method: "POST", body });
 */
export function fetchWithRequestId(
  input: string | URL | Request,
  init: RequestInit = {},
): Promise<Response> {
  const requestId = getLogContext()?.request_id;
  if (requestId === undefined) return fetch(input, init);
  const headers = new Headers(input instanceof Request ? input.headers : undefined);
  new Headers(init.headers).forEach((value, name) => headers.set(name, value));
  if (!headers.has("x-request-id")) headers.set("x-request-id", String(requestId));
  return fetch(input, { ...init, headers });
}
