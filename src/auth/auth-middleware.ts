import type { MiddlewareHandler } from "hono";
import { isOpskitError } from "../errors.js";
import { runWithLogContext, type Logger } from "../log/index.js";
import type { BasicCredentials } from "./basic-credentials.js";
import type { JwtVerifier } from "./jwt-verifier.js";
import type { AuthChallenge, AuthEnv, Principal } from "./principal.js";

export interface AuthenticateOptions {
  verifier?: JwtVerifier | undefined;
  basic?: BasicCredentials | undefined;
  /** Refusals are logged here (category `auth`, the reason and scheme only). */
  log?: Logger | undefined;
  /** The realm named in `WWW-Authenticate`; default `api`. */
  realm?: string;
}

/**
 * Attaches the caller's principal when the request carries a valid bearer
 * token or Basic credential, and lets every request through: public routes
 * stay public, and the guards (`requireAuth()`, `requireRole()`) decide. A
 * present but invalid credential is remembered as `authFailure` so the
 * guard's 401 can say why. Inside the request, log lines carry `subject`
 * and `auth_scheme`; the token never reaches a log line.
 *
 * @example
 * app.use("*", authenticate({ verifier, log }));
 * app.get("/api/me", requireAuth(), (c) => c.json({ subject: c.get("principal")!.subject }));
 */
export function authenticate(options: AuthenticateOptions): MiddlewareHandler<AuthEnv> {
  const challenge: AuthChallenge = Object.freeze({
    realm: options.realm ?? "api",
    bearer: options.verifier !== undefined || options.basic === undefined,
    basic: options.basic !== undefined,
  });
  const log = options.log?.child({ category: "auth" });
  return async (c, next) => {
    c.set("authChallenge", challenge);
    const header = c.req.header("authorization");
    if (header === undefined) return next();
    const space = header.indexOf(" ");
    const scheme = header.slice(0, space).toLowerCase();
    const credential = header.slice(space + 1).trim();
    let principal: Principal;
    try {
      if (scheme === "bearer" && options.verifier)
        principal = await options.verifier.verify(credential);
      else if (scheme === "basic" && options.basic)
        principal = await options.basic.verify(credential);
      else return next();
    } catch (thrown) {
      if (!isOpskitError(thrown, "UNAUTHORIZED")) throw thrown;
      const detail = thrown.details?.reason;
      const reason = typeof detail === "string" ? detail : "invalid";
      c.set("authFailure", { scheme: scheme === "basic" ? "basic" : "bearer", reason });
      log?.info({ reason, auth_scheme: scheme }, "credentials refused");
      return next();
    }
    c.set("principal", principal);
    return runWithLogContext({ subject: principal.subject, auth_scheme: principal.scheme }, next);
  };
}
