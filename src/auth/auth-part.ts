import { SERVING_ROLES, type ServicePart } from "../service-part.js";
import { createAuth } from "./create-auth.js";

/**
 * Every serving role: the middleware that attaches the principal to every
 * request carrying a valid bearer token or Basic credential (routes opt in
 * with `requireAuth()` / `requireRole()`), and the JWKS readiness check when
 * a JWKS URL is configured. Nothing to stop: the JWKS source holds no timer
 * (it refreshes on demand and from the readiness check).
 */
export function authPart(): ServicePart {
  return {
    name: "auth",
    roles: SERVING_ROLES,
    declare(ctx) {
      const auth = createAuth(ctx.config, { log: ctx.log, realm: ctx.service.name });
      if (auth.mode === "none" && ctx.config.NODE_ENV === "production") {
        ctx.log.info(
          { category: "auth" },
          "no OPSKIT_AUTH_JWT_SECRET or OPSKIT_AUTH_JWKS_URL: routes behind requireAuth() answer 401",
        );
      }
      return { middleware: [auth.middleware()], checks: auth.checks() };
    },
  };
}
