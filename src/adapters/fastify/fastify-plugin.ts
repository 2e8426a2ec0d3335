import type { FastifyInstance, FastifyRequest, preHandlerHookHandler } from "fastify";
import fp from "fastify-plugin";
import type { ServerResponse } from "node:http";
import type { Principal } from "../../auth/index.js";
import type { AdaptedRequest, AdaptedService } from "../adapted-service.js";
import { frameworkClientError } from "../client-error.js";
import type { RequestPrincipal } from "../request-auth.js";

declare module "fastify" {
  interface FastifyRequest {
    /** The request's id and log context (set by the opskit plugin for every request). */
    opskit: AdaptedRequest;
    /** The verified caller, when the request carried a valid bearer token or Basic credential. */
    principal?: Principal;
  }
  interface FastifyInstance {
    /** The opskit service: `queue`, `pool`, `log`, `health`, the admin handles' database… */
    opskit: AdaptedService<unknown>;
  }
}

export interface OpskitFastifyOptions {
  /** The service, from `startAdaptedService(...)`. */
  service: AdaptedService<unknown>;
  /**
   * SIGTERM/SIGINT: readiness fails, the drain delay passes, then
   * `fastify.close()` and the parts stop; the process exits 0 or 1. Default
   * true; false when the service handles signals itself (then call
   * `fastify.opskit.shutdown(() => fastify.close())`).
   */
  exitOnSignals?: boolean;
}

/**
 * Mounts a service's parts on a Fastify app: opskit's own routes (probes,
 * `/metrics`, `POST /webhooks/:source` on the raw body, the console under
 * `/ops`) answered before Fastify reads a body; for every Fastify route, the
 * request id (`X-Request-Id`) and its log context, the access log, the
 * error envelope (opskit's codes, Postgres errors as 409/422/400, 5xx
 * reported), `principal` on the request; and the shutdown: readiness fails
 * and the drain delay passes before Fastify stops accepting, the parts stop
 * in `onClose` (workers drained, pool closed).
 *
 * @example
 * const service = await startAdaptedService({ name: "shop", version: "1.0.0", jobs });
 * await app.register(opskitFastify, { service });
 * app.get("/admin", { preHandler: requireRole("admin") }, handler);
 */
export const opskitFastify = fp<OpskitFastifyOptions>(
  async (fastify: FastifyInstance, options: OpskitFastifyOptions) => {
    const adapted = options.service;
    fastify.decorate("opskit", adapted);
    fastify.decorateRequest("opskit", undefined as unknown as AdaptedRequest);
    fastify.decorateRequest("principal", undefined);

    fastify.addHook("onRequest", (request, reply, done) => {
      const path = pathOf(request.url);
      if (adapted.serves(path)) {
        // opskit's app answers it from Node's request, body unread (the inbox verifies raw bytes).
        void reply.hijack();
        adapted.serve(request.raw, reply.raw);
        return;
      }
      const started = adapted.begin(request.headers, { method: request.method, path });
      request.opskit = started;
      void reply.header("x-request-id", started.requestId);
      if (adapted.draining()) void reply.header("connection", "close");
      adapted.within(started, () => {
        void adapted.auth.authenticate(request.headers.authorization).then(
          (seen) => {
            request.principal = seen.principal;
            authSeen.set(request, seen);
            done();
          },
          (thrown: unknown) => done(thrown as Error),
        );
      });
    });
    // Body parsing leaves the request's async context: enter it again right before the handler.
    fastify.addHook("preHandler", (request, _reply, done) => {
      if (request.opskit) adapted.within(request.opskit, () => done());
      else done();
    });
    fastify.addHook("onResponse", (request, reply, done) => {
      if (request.opskit) {
        adapted.end(request.opskit, {
          method: request.method,
          path: pathOf(request.url),
          route: request.routeOptions.url ?? "unmatched",
          status: reply.statusCode,
          headers: request.headers,
        });
      }
      done();
    });
    fastify.setErrorHandler((thrown: unknown, request, reply) => {
      const started = request.opskit ?? adapted.begin(request.headers);
      const answer = adapted.answerError(frameworkClientError(thrown), started, {
        method: request.method,
        route: request.routeOptions.url ?? "unmatched",
      });
      return reply.code(answer.status).headers(answer.headers).send(answer.body);
    });
    fastify.setNotFoundHandler((request, reply) => {
      const requestId = request.opskit?.requestId ?? adapted.begin(request.headers).requestId;
      const message = `No route for ${request.method} ${pathOf(request.url)}.`;
      return reply.code(404).send({ error: { code: "NOT_FOUND", message, requestId } });
    });

    // Once Fastify is closing, a keep-alive socket that answers its last
    // in-flight request is idle: close it then, or `close()` waits for the
    // socket's idle timeout (72 s by default in Fastify).
    let closing = false;
    fastify.server.on("request", (_req, res: ServerResponse) => {
      res.once("close", () => {
        if (closing) setImmediate(() => fastify.server.closeIdleConnections());
      });
    });
    fastify.addHook("preClose", (done) => {
      closing = true;
      fastify.server.closeIdleConnections();
      done();
    });
    fastify.addHook("onClose", async () => {
      // Closed by the signal handler: the shutdown it runs stops the parts once Fastify has closed.
      if (adapted.shuttingDown()) return;
      // Closed directly (`fastify.close()`): Fastify refuses new requests already (503).
      await adapted.shutdown(async () => undefined, "fastify close");
    });
    if (options.exitOnSignals ?? true) {
      const uninstall = adapted.exitOnSignals(() => fastify.close());
      fastify.addHook("onClose", async () => uninstall());
    }
  },
  { fastify: "5.x", name: "opskit" },
);

const authSeen = new WeakMap<FastifyRequest, RequestPrincipal>();

/**
 * A Fastify route guard: 401 without a valid credential, 403 without one
 * of `roles` (none: any authenticated caller), in opskit's error envelope.
 *
 * @example
 * app.get("/orders", { preHandler: requireRole() }, listOrders);
 * app.post("/refunds", { preHandler: requireRole("manager") }, refund);
 */
export function requireRole(...roles: string[]): preHandlerHookHandler {
  return function guard(this: FastifyInstance, request, reply, done) {
    const refusal = this.opskit.auth.refusal(
      authSeen.get(request) ?? {},
      roles,
      request.opskit.requestId,
    );
    if (!refusal) return done();
    void reply.code(refusal.status).headers(refusal.headers).send(refusal.body);
  };
}

/** `requireRole()` with no role: any authenticated caller. */
export const requireAuth = (): preHandlerHookHandler => requireRole();

function pathOf(url: string): string {
  const query = url.indexOf("?");
  return query === -1 ? url : url.slice(0, query);
}
