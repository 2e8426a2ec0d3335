import type { IncomingMessage, ServerResponse } from "node:http";
import { Hono } from "hono";
import type { Registry } from "prom-client";
import type { Pool } from "../db/index.js";
import { OpskitError } from "../errors.js";
import type { Task } from "../jobs/index.js";
import { createLogger, type Logger } from "../log/index.js";
import { createEmitter, type EventSource } from "../typed-emitter.js";
import { addNodeRoute, resolveRequestId } from "../http/index.js";
import { defineSource, type Source, type SourceOptions } from "./define-source.js";
import { createEventWriter, type EventWriterOptions } from "./event-writer.js";
import { createInboxMetrics } from "./inbox-metrics.js";
import { processEventTask } from "./process-event.js";
import type { IncomingWebhook, WebhookResponse } from "./receive-webhook.js";
import { createRejectionRecorder } from "./rejection-recorder.js";
import { registerInboxSources } from "./sql/inbox-sources.js";
import { receiveWithEvents, type WebhookEvents } from "./webhook-events.js";

/** The inbox app reads the request id opskit's HTTP app sets, when there is one. */
export interface InboxAppEnv {
  /** `maxBodyBytes`: the HTTP app's body cap, which it leaves this route to enforce (and record). */
  Variables: { requestId?: string; maxBodyBytes?: number };
}

export interface CreateInboxOptions {
  pool: Pool;
  /** Sources, as `defineSource` results or their options. */
  sources: (Source | SourceOptions)[];
  /** Default: silent. */
  log?: Logger;
  /** The service's metrics registry. */
  registry?: Registry;
  /** How long a request may wait for its commit before it is answered 503; default 4 s (Shopify gives up at 5 s). */
  storeTimeoutMs?: number;
  /** Group-commit tuning. */
  writer?: Pick<
    EventWriterOptions,
    "maxBatch" | "maxConcurrent" | "maxQueued" | "preparedStatements" | "recentKeys"
  >;
  /** The clock verifiers compare timestamps with; default `Date.now`. */
  now?: () => number;
}

export interface Inbox {
  /** `POST /webhooks/:source`, to mount at `/` of a Hono app. */
  app: Hono<InboxAppEnv>;
  /** The framework-neutral request path (see `nodeHandler` for Node, Express, Fastify). */
  receive(request: IncomingWebhook): Promise<WebhookResponse>;
  /**
   * A Node `(req, res)` handler for `POST /webhooks/<source>`. It reads the
   * raw request stream; behind Express's or Fastify's parsers give it the raw
   * bytes as `req.rawBody` or `req.body` (a Buffer): see docs/inbox.md.
   */
  nodeHandler(source?: string): (req: IncomingMessage, res: ServerResponse) => Promise<void>;
  /** One processing task per source (`inbox.<name>`): give them to `createQueue({ tasks })`. */
  tasks: Task<{ eventId: string }>[];
  sources: ReadonlyMap<string, Source>;
  /** Records the sources in `opskit.inbox_sources` (the CLI and console read them). */
  register(): Promise<void>;
  /**
   * Calls `listener` for each request this inbox answers in this process:
   * `webhook.stored` (after the commit), `webhook.duplicate`,
   * `webhook.rejected`. Returns the unsubscribe. A throwing listener is
   * logged, never propagated to the request.
   */
  on: EventSource<WebhookEvents>["on"];
  /** Waits for in-flight writes and writes buffered rejections. */
  close(): Promise<void>;
}

/**
 * The webhook inbox: verified deliveries stored once each (unique per
 * source and dedupe key) with their processing job, acknowledged only after
 * the commit.
 *
 * @example
 * const inbox = createInbox({ pool, sources: [github], log, registry: metrics.registry });
 * await inbox.register();
 * app.route("/", inbox.app);                         // POST /webhooks/github
 * const queue = createQueue({ pool, tasks: [...inbox.tasks] });
 * queue.work();
 */
export function createInbox(options: CreateInboxOptions): Inbox {
  const sources = new Map<string, Source>();
  for (const given of options.sources) {
    const source = "queue" in given ? given : defineSource(given);
    if (sources.has(source.name)) {
      throw new OpskitError(
        "INBOX_CONFIG_INVALID",
        `Two inbox sources are named "${source.name}".`,
      );
    }
    sources.set(source.name, source);
  }
  const log = (options.log ?? createLogger({ level: "silent" })).child({ category: "inbox" });
  const metrics = createInboxMetrics(options.registry);
  const writer = createEventWriter({
    pool: options.pool,
    sources: [...sources.values()].map((s) => ({ name: s.name, maxAttempts: s.maxAttempts })),
    onBatch: (size) => metrics.batchSize(size),
    ...options.writer,
  });
  const recorder = createRejectionRecorder({ pool: options.pool, log });
  const deps = {
    sources,
    writer,
    recorder,
    metrics,
    log,
    storeTimeoutMs: options.storeTimeoutMs ?? 4_000,
    now: options.now ?? Date.now,
  };
  const events = createEmitter<WebhookEvents>((err, event) =>
    log.error({ err, event }, "an inbox event listener failed"),
  );
  const receive = receiveWithEvents(deps, events);

  const app = new Hono<InboxAppEnv>();
  app.post("/webhooks/:source", async (c) => {
    const response = await receive({
      source: c.req.param("source"),
      headers: c.req.raw.headers.entries(),
      body: c.req.raw.body as AsyncIterable<Uint8Array> | null,
      requestId: c.get("requestId") ?? resolveRequestId(c.req.header("x-request-id")),
      maxBodyBytes: c.get("maxBodyBytes"),
    });
    if (response.retryAfterSeconds !== undefined) {
      c.header("Retry-After", String(response.retryAfterSeconds));
    }
    return c.json(response.body, response.status as 200);
  });

  // The Node request path, shared by nodeHandler and the route the service's HTTP server serves without Hono.
  async function answerNode(
    req: IncomingMessage,
    res: ServerResponse,
    request: Pick<IncomingWebhook, "source" | "requestId" | "body" | "maxBodyBytes">,
  ): Promise<void> {
    let response: WebhookResponse;
    try {
      response = await receive({ ...request, headers: nodeHeaders(req) });
    } catch (error) {
      log.error({ err: error, request_id: request.requestId }, "webhook failed");
      response = {
        status: 500,
        body: {
          error: {
            code: "INTERNAL",
            message: "An unexpected error.",
            requestId: request.requestId,
          },
        },
      };
    }
    res.writeHead(response.status, {
      "content-type": "application/json",
      "x-request-id": request.requestId,
      ...(response.retryAfterSeconds === undefined
        ? {}
        : { "retry-after": String(response.retryAfterSeconds) }),
    });
    res.end(JSON.stringify(response.body));
  }
  // Served by startHttpServer on Node's request and response when the app is
  // mounted in opskit's HTTP app (request id, access log, body cap and
  // metrics come from there); through Hono everywhere else.
  addNodeRoute(app, {
    method: "POST",
    path: "/webhooks/:source",
    handle: (req, res, context) =>
      answerNode(req, res, {
        source: context.params.source ?? "",
        requestId: context.requestId,
        body: req,
        maxBodyBytes: context.maxBodyBytes,
      }),
  });

  return {
    app,
    receive,
    nodeHandler: (fixed) => (req, res) => {
      const raw = req as IncomingMessage & {
        rawBody?: unknown;
        body?: unknown;
        params?: Record<string, string>;
      };
      const given = Buffer.isBuffer(raw.rawBody)
        ? raw.rawBody
        : Buffer.isBuffer(raw.body)
          ? raw.body
          : undefined;
      if (given === undefined && raw.body !== undefined && raw.readableEnded) {
        // A JSON parser ran first and kept no raw bytes: verifying its output would be the bug.
        log.error(
          { url: req.url },
          "the raw body was consumed by a body parser; see docs/inbox.md",
        );
        res.writeHead(500, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: { code: "INTERNAL", message: "Raw body unavailable." } }));
        return Promise.resolve();
      }
      const source =
        fixed ??
        raw.params?.source ??
        decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname.split("/").pop() ?? "");
      const requestId = resolveRequestId(req.headers["x-request-id"] as string | undefined);
      return answerNode(req, res, { source, requestId, body: given ?? req });
    },
    tasks: [...sources.values()].map((s) =>
      processEventTask(s, { pool: options.pool, log, metrics }),
    ),
    sources,
    register: () =>
      registerInboxSources(
        options.pool,
        [...sources.values()].map((s) => ({
          name: s.name,
          verifier: s.verifier.kind,
          retentionDays: s.retentionDays,
          maxAttempts: s.maxAttempts,
        })),
      ),
    on: (event, listener) => events.on(event, listener),
    async close() {
      await writer.drain();
      await recorder.close();
    },
  };
}

function nodeHeaders(req: IncomingMessage): [string, string][] {
  const headers: [string, string][] = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    headers.push([req.rawHeaders[i]!, req.rawHeaders[i + 1]!]);
  }
  return headers;
}
