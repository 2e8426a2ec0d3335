/**
 * Served by opskit's HTTP server, webhook routes skip Hono (see addNodeRoute):
 * these tests hold them to what the app's middleware gives every route.
 */
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { request as httpRequest } from "node:http";
import { after, before, test } from "node:test";
import type { MiddlewareHandler } from "hono";
import { createTestDatabase, type TestDatabase } from "../../test/db.js";
import { createPool, type Pool } from "../db/index.js";
import { createHttpApp, nodeRoutesOf, startHttpServer } from "../http/index.js";
import { createLogger } from "../log/index.js";
import { createMetrics, type Metrics } from "../metrics/index.js";
import { createInbox, githubVerifier, type Inbox } from "./index.js";

const SECRET = "node-route-secret";
let db: TestDatabase;
let pool: Pool;
let inbox: Inbox;

before(async () => {
  db = await createTestDatabase();
  pool = createPool({ connectionString: db.url, max: 4 });
  inbox = createInbox({
    pool,
    sources: [
      { name: "gh", verifier: githubVerifier({ secrets: [SECRET] }), handler: () => undefined },
    ],
  });
  await inbox.register();
});
after(async () => {
  await inbox.close();
  await pool.end();
  await db.drop();
});

function signed(body: string, delivery: string): Record<string, string> {
  return {
    "content-type": "application/json",
    "x-github-event": "push",
    "x-github-delivery": delivery,
    "x-hub-signature-256": "sha256=" + createHmac("sha256", SECRET).update(body).digest("hex"),
  };
}

async function serve(
  options: { middleware?: MiddlewareHandler[]; bodyLimitBytes?: number; draining?: boolean } = {},
) {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({
    level: "info",
    destination: {
      write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>),
    },
  });
  const app = createHttpApp({
    log,
    mounts: [{ path: "/", app: inbox.app }],
    ...(options.middleware ? { middleware: options.middleware } : {}),
    ...(options.bodyLimitBytes ? { bodyLimitBytes: options.bodyLimitBytes } : {}),
    isDraining: () => options.draining ?? false,
  });
  const http = await startHttpServer(app, { port: 0, host: "127.0.0.1" });
  return { http, lines };
}

test("the inbox declares its webhook route for Node", () => {
  assert.deepEqual(
    nodeRoutesOf(inbox.app).map((r) => [r.method, r.path]),
    [["POST", "/webhooks/:source"]],
  );
});

test("a webhook served without Hono keeps the request id, the access log line and the metrics", async () => {
  const metrics: Metrics = createMetrics({ defaultMetrics: false });
  const { http, lines } = await serve({ middleware: [metrics.httpMetrics()] });
  try {
    const body = '{"n":1}';
    const res = await fetch(`${http.url}/webhooks/gh?x=1`, {
      method: "POST",
      body,
      headers: { ...signed(body, "nr-1"), "x-request-id": "req-node.1" },
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("x-request-id"), "req-node.1");
    assert.equal(res.headers.get("content-type"), "application/json");
    const stored = (await res.json()) as { id: string; duplicate: boolean };
    assert.equal(stored.duplicate, false);
    const { rows } = await pool.query("select dedupe_key from opskit.inbox_events where id = $1", [
      stored.id,
    ]);
    assert.deepEqual(rows, [{ dedupe_key: "nr-1" }]);

    const line = lines.find((l) => l.msg === "request");
    assert.equal(line?.request_id, "req-node.1");
    assert.equal(line?.category, "http");
    assert.equal(line?.route, "/webhooks/:source");
    assert.equal(line?.method, "POST");
    assert.equal(line?.status, 200);

    const generated = await fetch(`${http.url}/webhooks/gh`, {
      method: "POST",
      body,
      headers: { ...signed(body, "nr-1"), "x-request-id": "bad id" },
    });
    assert.match(generated.headers.get("x-request-id") ?? "", /^[0-9a-f-]{36}$/);
    assert.equal(((await generated.json()) as { duplicate: boolean }).duplicate, true);

    const forged = await fetch(`${http.url}/webhooks/gh`, {
      method: "POST",
      body,
      headers: { ...signed(body, "nr-2"), "x-hub-signature-256": "sha256=00" },
    });
    assert.equal(forged.status, 401);
    const envelope = (await forged.json()) as { error: { requestId: string } };
    assert.equal(envelope.error.requestId, forged.headers.get("x-request-id"));

    const text = await metrics.registry.metrics();
    assert.match(
      text,
      /http_server_request_duration_seconds_count\{http_request_method="POST",http_route="\/webhooks\/:source",http_response_status_code="200"\} 2/,
    );
    assert.match(
      text,
      /http_server_request_duration_seconds_count\{http_request_method="POST",http_route="\/webhooks\/:source",http_response_status_code="401"\} 1/,
    );
    assert.match(text, /http_server_active_requests\{http_request_method="POST"\} 0/);
  } finally {
    await http.close(1_000);
  }
});

test("the app's body cap holds on a webhook served without Hono, declared or streamed", async () => {
  const { http } = await serve({ bodyLimitBytes: 1_000 });
  try {
    const body = JSON.stringify({ pad: "x".repeat(2_000) });
    const declared = await fetch(`${http.url}/webhooks/gh`, {
      method: "POST",
      body,
      headers: signed(body, "nr-big-1"),
    });
    assert.equal(declared.status, 413);
    const envelope = (await declared.json()) as { error: { code: string; requestId: string } };
    assert.equal(envelope.error.code, "PAYLOAD_TOO_LARGE");
    assert.equal(envelope.error.requestId, declared.headers.get("x-request-id"));

    // No Content-Length: refused while reading, and the connection stays usable.
    const streamed = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(`${http.url}/webhooks/gh`, {
        method: "POST",
        headers: { ...signed(body, "nr-big-2"), "transfer-encoding": "chunked" },
      });
      req.on("response", (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on("error", reject);
      for (let i = 0; i < body.length; i += 100) req.write(body.slice(i, i + 100));
      req.end();
    });
    assert.equal(streamed, 413);
    const { rows } = await pool.query(
      "select count(*)::int as n from opskit.inbox_events where dedupe_key like 'nr-big-%'",
    );
    assert.deepEqual(rows, [{ n: 0 }]);
  } finally {
    await http.close(1_000);
  }
});

test("while draining, a webhook answer asks the client to close the connection", async () => {
  const { http } = await serve({ draining: true });
  try {
    const body = '{"n":3}';
    const res = await new Promise<{ status: number; connection: string | undefined }>(
      (resolve, reject) => {
        const req = httpRequest(`${http.url}/webhooks/gh`, {
          method: "POST",
          headers: signed(body, "nr-3"),
        });
        req.on("response", (r) => {
          r.resume();
          resolve({ status: r.statusCode ?? 0, connection: r.headers.connection });
        });
        req.on("error", reject);
        req.end(body);
      },
    );
    assert.equal(res.status, 200);
    assert.equal(res.connection, "close");
  } finally {
    await http.close(1_000);
  }
});

test("with a middleware that has no Node twin, webhooks go through Hono and it runs for them", async () => {
  let seen = 0;
  const counting: MiddlewareHandler = async (_c, next) => {
    seen++;
    await next();
  };
  const { http } = await serve({ middleware: [counting] });
  try {
    const body = '{"n":4}';
    const res = await fetch(`${http.url}/webhooks/gh`, {
      method: "POST",
      body,
      headers: signed(body, "nr-4"),
    });
    assert.equal(res.status, 200);
    assert.equal(seen, 1);
  } finally {
    await http.close(1_000);
  }
});
