import { getRequestListener } from "@hono/node-server";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Hono } from "hono";
import { nodeDispatcherOf } from "./node-route.js";

export interface HttpServer {
  readonly server: Server;
  /** The app it serves: its `routes` are the service's whole route table (tests walk it). */
  readonly app: Hono<any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- any env
  readonly port: number;
  readonly url: string;
  /** Requests received and not yet answered. */
  inFlight(): number;
  /**
   * Stops accepting connections, closes idle keep-alive sockets, waits for
   * in-flight requests up to `budgetMs`, then closes whatever is left.
   * Resolves true when every request finished within the budget.
   */
  close(budgetMs: number): Promise<boolean>;
}

export interface StartHttpServerOptions {
  port: number;
  host?: string;
  /** Idle keep-alive timeout; longer than a typical proxy's so the proxy closes first. Default 65 s. */
  keepAliveTimeoutMs?: number;
}

/**
 * A Node request listener for a Hono app: its Node routes (see
 * `addNodeRoute`) are answered without building a web `Request`, the rest
 * through Hono. What `startHttpServer` serves, and what a framework adapter
 * hands the requests for opskit's own routes.
 *
 * @example
 * expressApp.use((req, res, next) => (served(req.path) ? listener(req, res) : next()));
 */
export function nodeListener(
  app: Hono<any>, // eslint-disable-line @typescript-eslint/no-explicit-any -- any env
): (req: IncomingMessage, res: ServerResponse) => void {
  const viaHono = getRequestListener(app.fetch);
  const dispatch = nodeDispatcherOf(app);
  if (!dispatch) return (req, res) => void viaHono(req, res);
  return (req, res) => {
    if (!dispatch(req, res)) void viaHono(req, res);
  };
}

/**
 * Serves a Hono app on a Node HTTP server with a graceful close. Routes the
 * app serves on Node's own request and response (see `addNodeRoute`) are
 * answered without going through Hono.
 *
 * @example
 * const http = await startHttpServer(app, { port: 3000 });
 * await http.close(10_000);
 */
export async function startHttpServer(
  app: Hono<any>, // eslint-disable-line @typescript-eslint/no-explicit-any -- any env
  options: StartHttpServerOptions,
): Promise<HttpServer> {
  const server = createServer(nodeListener(app));
  server.keepAliveTimeout = options.keepAliveTimeoutMs ?? 65_000;
  server.headersTimeout = server.keepAliveTimeout + 1_000;
  let inFlight = 0;
  let closing = false;
  const idleWaiters = new Set<() => void>();
  server.on("request", (_req, res) => {
    inFlight++;
    res.once("close", () => {
      inFlight--;
      // A keep-alive socket that finishes its last response after close()
      // began would otherwise linger until its idle timeout.
      if (closing) setImmediate(() => server.closeIdleConnections());
      if (inFlight === 0) for (const wake of idleWaiters) wake();
    });
  });

  const host = options.host ?? "0.0.0.0";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const shownHost = host === "0.0.0.0" || host === "::" ? "localhost" : host;

  return {
    server,
    app,
    port,
    url: `http://${shownHost}:${port}`,
    inFlight: () => inFlight,
    async close(budgetMs) {
      closing = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const drained =
        inFlight === 0 ||
        (await new Promise<boolean>((resolve) => {
          const timer = setTimeout(() => {
            idleWaiters.delete(done);
            resolve(false);
          }, budgetMs);
          const done = () => {
            clearTimeout(timer);
            idleWaiters.delete(done);
            resolve(true);
          };
          idleWaiters.add(done);
        }));
      // Sockets that finished a response since close() are idle now; anything
      // still open after the budget is cut.
      server.closeIdleConnections();
      if (!drained) server.closeAllConnections();
      await closed;
      return drained;
    },
  };
}
