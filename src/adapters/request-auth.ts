import { createAuth, type Principal } from "../auth/index.js";
import { isOpskitError } from "../errors.js";
import { errorEnvelope } from "../http/index.js";
import type { Logger } from "../log/index.js";
import type { BaseConfig } from "../service-part.js";
import type { FrameworkAnswer } from "./adapted-service.js";

/** What a request's `Authorization` header proved: a principal, a refused credential, or nothing. */
export interface RequestPrincipal {
  principal?: Principal;
  failure?: { scheme: "bearer" | "basic"; reason: string };
}

/** Bearer JWT / Basic verification for a framework's own routes, from the same `OPSKIT_AUTH_*` config. */
export interface RequestAuth {
  authenticate(header: string | undefined): Promise<RequestPrincipal>;
  /** Undefined when the request may pass; otherwise the 401/403/503 to answer. */
  refusal(
    seen: RequestPrincipal,
    roles: readonly string[],
    requestId: string,
  ): FrameworkAnswer | undefined;
}

/**
 * The auth part's verification for routes a framework serves: the same
 * verifier and Basic users (`createAuth` from the service's config), the
 * same refusals as `requireAuth()` / `requireRole()` (401 with
 * `WWW-Authenticate`, 403 `FORBIDDEN`, 503 when the keys cannot be fetched).
 */
export function createRequestAuth(config: BaseConfig, log: Logger, realm: string): RequestAuth {
  const auth = createAuth(config, { log, realm });
  const authLog = log.child({ category: "auth" });
  const bearer = auth.verifier !== undefined || auth.basic === undefined;
  return {
    async authenticate(header) {
      if (header === undefined) return {};
      const space = header.indexOf(" ");
      const scheme = header.slice(0, space).toLowerCase();
      const credential = header.slice(space + 1).trim();
      try {
        if (scheme === "bearer" && auth.verifier)
          return { principal: await auth.verifier.verify(credential) };
        if (scheme === "basic" && auth.basic)
          return { principal: await auth.basic.verify(credential) };
        return {};
      } catch (thrown) {
        if (!isOpskitError(thrown, "UNAUTHORIZED")) throw thrown;
        const detail = thrown.details?.reason;
        const reason = typeof detail === "string" ? detail : "invalid";
        authLog.info({ reason, auth_scheme: scheme }, "credentials refused");
        return { failure: { scheme: scheme === "basic" ? "basic" : "bearer", reason } };
      }
    },
    refusal(seen, roles, requestId) {
      const { principal, failure } = seen;
      if (principal) {
        if (roles.length === 0 || principal.roles.some((r) => roles.includes(r))) return undefined;
        const message = `This needs the role ${roles.join(" or ")}.`;
        return answer(403, {}, { status: 403, code: "FORBIDDEN", message }, requestId);
      }
      if (failure?.reason === "keys_unavailable") {
        const message = "The token's keys could not be fetched; retry later.";
        const body = { status: 503, code: "DEPENDENCY_FAILURE" as const, message };
        return answer(503, { "retry-after": "5" }, body, requestId);
      }
      const realmText = `realm="${realm}"`;
      const challenges: string[] = [];
      if (bearer) {
        challenges.push(
          failure?.scheme === "bearer"
            ? `Bearer ${realmText}, error="invalid_token", error_description="${failure.reason}"`
            : `Bearer ${realmText}`,
        );
      }
      if (auth.basic) challenges.push(`Basic ${realmText}, charset="UTF-8"`);
      const message = failure
        ? `The credentials were refused (${failure.reason}).`
        : "This needs credentials: Authorization: Bearer <token>.";
      return answer(
        401,
        { "www-authenticate": challenges.join(", ") },
        { status: 401, code: "UNAUTHORIZED", message },
        requestId,
      );
    },
  };
}

function answer(
  status: number,
  headers: Record<string, string>,
  error: {
    status: number;
    code: "FORBIDDEN" | "UNAUTHORIZED" | "DEPENDENCY_FAILURE";
    message: string;
  },
  requestId: string,
): FrameworkAnswer {
  return { status, headers, body: errorEnvelope({ ...error, unexpected: false }, requestId) };
}
