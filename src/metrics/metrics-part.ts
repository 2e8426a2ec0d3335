import { SERVING_ROLES, type ServicePart } from "../service-part.js";

/**
 * Serves `/metrics` and times every request (`opskit_http_*`) in every role
 * that serves HTTP. The registry itself is the bootstrap's: every part
 * registers its metrics there, and the service closes it last.
 */
export function metricsPart(): ServicePart {
  return {
    name: "metrics",
    roles: SERVING_ROLES,
    declare: (ctx) => ({
      routes: [{ path: "/", app: ctx.metrics.app }],
      middleware: [ctx.metrics.httpMetrics()],
    }),
  };
}
