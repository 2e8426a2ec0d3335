import type { Context, MiddlewareHandler } from "hono";
import { OpskitError } from "../errors.js";
import { errorEnvelope } from "../http/index.js";
import type { AuthEnv } from "./principal.js";

/**
 * Admits only requests with a principal; otherwise 401 `UNAUTHORIZED` with
 * `WWW-Authenticate` (RFC 6750 §3: `error="invalid_token"` and the reason
 * when a token was there but refused). A keys outage with no cached key is a
 * 503 with `Retry-After`, not the caller's fault.
 *
 * @example
 * app.post("/api/orders", requireAuth(), createOrder);
 */
export function requireAuth(): MiddlewareHandler<AuthEnv> {
  return (c, next) => (c.get("principal") ? next() : Promise.resolve(refuse(c)));
}

/**
 * Admits a principal holding any of `roles`; 401 without one, 403
 * `FORBIDDEN` when it lacks the role.
 *
 * @example
 * app.post("/api/orders/:id/stage", requireRole("manager", "baker"), moveStage);
 */
export function requireRole(...roles: string[]): MiddlewareHandler<AuthEnv> {
  if (roles.length === 0)
    throw new OpskitError("AUTH_CONFIG_INVALID", "requireRole() needs at least one role.");
  return (c, next) => {
    const principal = c.get("principal");
    if (!principal) return Promise.resolve(refuse(c));
    if (principal.roles.some((r) => roles.includes(r))) return next();
    return Promise.resolve(
      c.json(
        errorEnvelope(
          {
            status: 403,
            code: "FORBIDDEN",
            message: `This needs the role ${roles.join(" or ")}.`,
            unexpected: false,
          },
          c.get("requestId") ?? "",
        ),
        403,
      ),
    );
  };
}

function refuse(c: Context<AuthEnv>): Response {
  const challenge = c.get("authChallenge");
  // A guard on a route the middleware does not cover would refuse everyone
  // forever; make that mistake loud instead.
  if (!challenge) {
    throw new OpskitError(
      "AUTH_CONFIG_INVALID",
      "requireAuth()/requireRole() on a route without the auth middleware (authenticate() or authPart()).",
    );
  }
  const failure = c.get("authFailure");
  const requestId = c.get("requestId") ?? "";
  if (failure?.reason === "keys_unavailable") {
    c.header("Retry-After", "5");
    return c.json(
      errorEnvelope(
        {
          status: 503,
          code: "DEPENDENCY_FAILURE",
          message: "The token's keys could not be fetched; retry later.",
          unexpected: false,
        },
        requestId,
      ),
      503,
    );
  }
  const realm = `realm="${challenge.realm}"`;
  const challenges: string[] = [];
  if (challenge.bearer) {
    challenges.push(
      failure?.scheme === "bearer"
        ? `Bearer ${realm}, error="invalid_token", error_description="${failure.reason}"`
        : `Bearer ${realm}`,
    );
  }
  if (challenge.basic) challenges.push(`Basic ${realm}, charset="UTF-8"`);
  c.header("WWW-Authenticate", challenges.join(", "));
  const message = failure
    ? `The credentials were refused (${failure.reason}).`
    : "This needs credentials: Authorization: Bearer <token>.";
  return c.json(
    errorEnvelope({ status: 401, code: "UNAUTHORIZED", message, unexpected: false }, requestId),
    401,
  );
}
