import { SERVING_ROLES, type ServicePart } from "../service-part.js";

/**
 * Serves `/livez`, `/readyz` and `/health` in every role that serves HTTP,
 * and runs the first round of readiness checks once every check is declared.
 * The service's bootstrap makes the `Health` (with the database check) and
 * closes it after the parts have stopped.
 */
export function healthPart(): ServicePart {
  return {
    name: "health",
    roles: SERVING_ROLES,
    declare: (ctx) => ({ routes: [{ path: "/", app: ctx.health.app }] }),
    start: (ctx) => ctx.health.start(),
  };
}
