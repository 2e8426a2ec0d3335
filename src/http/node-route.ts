import type { IncomingMessage, ServerResponse } from "node:http";
import type { Hono } from "hono";

/** What the HTTP app hands a Node route: the guarantees its middleware would have given. */
export interface NodeRouteContext {
  /** The request's id (already on the response as `X-Request-Id` and in the log context). */
  requestId: string;
  /** The route's `:name` segments, decoded. */
  params: Record<string, string>;
  /**
   * The app's body cap; the route must refuse a body over it (413), both a
   * declared `Content-Length` over it and a body that grows past it while read.
   */
  maxBodyBytes: number;
}

/**
 * A route a sub-app also serves on Node's own request and response, so that
 * the service's HTTP server can answer it without building a web `Request`
 * (the hot webhook path). The sub-app keeps serving the same route through
 * Hono (`app.request()`, other adapters); both must behave the same.
 */
export interface NodeRoute {
  method: string;
  /** A template of literal and `:name` segments, as the Hono route is registered: `/webhooks/:source`. */
  path: string;
  handle(req: IncomingMessage, res: ServerResponse, context: NodeRouteContext): Promise<void>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- apps of any env
type AnyHono = Hono<any>;

const routesOfApp = new WeakMap<AnyHono, NodeRoute[]>();

/**
 * Declares that `app` also serves `route` on Node's request and response.
 * `createHttpApp` picks it up when `app` is mounted, and `startHttpServer`
 * sends matching requests to it (with the app's request id, access log,
 * body cap, metrics and draining) instead of through Hono.
 *
 * @example
 * const app = new Hono().post("/webhooks/:source", honoHandler);
 * addNodeRoute(app, { method: "POST", path: "/webhooks/:source", handle: nodeHandler });
 */
export function addNodeRoute<A extends AnyHono>(app: A, route: NodeRoute): A {
  routesOfApp.set(app, [...(routesOfApp.get(app) ?? []), route]);
  return app;
}

/** The Node routes declared on `app` with `addNodeRoute`. */
export function nodeRoutesOf(app: AnyHono): readonly NodeRoute[] {
  return routesOfApp.get(app) ?? [];
}

/** Answers a request on Node's request and response; false when it is not one of its routes. */
export type NodeDispatcher = (req: IncomingMessage, res: ServerResponse) => boolean;

const dispatcherOfApp = new WeakMap<AnyHono, NodeDispatcher>();

/** Set by `createHttpApp`: how `startHttpServer` serves the app's Node routes. */
export function setNodeDispatcher(app: AnyHono, dispatcher: NodeDispatcher): void {
  dispatcherOfApp.set(app, dispatcher);
}

/** The app's Node dispatcher, when it has Node routes that can bypass Hono. */
export function nodeDispatcherOf(app: AnyHono): NodeDispatcher | undefined {
  return dispatcherOfApp.get(app);
}

/** A compiled route template: its params for a path, or undefined when it does not match. */
export function matchTemplate(
  template: string,
): (path: string) => Record<string, string> | undefined {
  const parts = template.split("/");
  return (path) => {
    const segments = path.split("/");
    if (segments.length !== parts.length) return undefined;
    const params: Record<string, string> = {};
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i]!;
      const segment = segments[i]!;
      if (part.startsWith(":")) {
        if (segment === "") return undefined;
        let value: string;
        try {
          value = decodeURIComponent(segment);
        } catch {
          return undefined; // Hono's router decides what a malformed escape means
        }
        params[part.slice(1)] = value;
      } else if (part !== segment) return undefined;
    }
    return params;
  };
}
