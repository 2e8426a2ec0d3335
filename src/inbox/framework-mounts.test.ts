// The inbox mounted in Express and Fastify exactly as docs/inbox.md shows,
// over real sockets: the verified and stored bytes are the bytes sent,
// whatever body parser runs, and a parser that kept no raw bytes is refused.
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, test } from "node:test";
import express from "express";
import Fastify from "fastify";
import { createTestDatabase, type TestDatabase } from "../../test/db.js";
import { createPool, type Pool } from "../db/index.js";
import { createInbox, githubVerifier, type Inbox } from "./index.js";

const SECRET = "framework-secret";
let db: TestDatabase;
let pool: Pool;
let inbox: Inbox;

before(async () => {
  db = await createTestDatabase();
  pool = createPool({ connectionString: db.url });
  inbox = createInbox({
    pool,
    sources: [{ name: "gh", verifier: githubVerifier({ secrets: [SECRET] }), handler: () => {} }],
  });
  await inbox.register();
});
after(async () => {
  await inbox.close();
  await pool.end();
  await db.drop();
});

// Odd spacing: a re-serialised body would not match its signature.
const BODY = '{ "ref" :  "refs/heads/main",   "n": 1 }';

function signed(delivery: string, body = BODY): Record<string, string> {
  return {
    "content-type": "application/json",
    "x-github-event": "push",
    "x-github-delivery": delivery,
    "x-hub-signature-256": `sha256=${createHmac("sha256", SECRET).update(body).digest("hex")}`,
  };
}

async function stored(delivery: string): Promise<string[]> {
  const { rows } = await pool.query<{ body: Buffer }>(
    "select body from opskit.inbox_events where source = 'gh' and dedupe_key = $1",
    [delivery],
  );
  return rows.map((r) => r.body.toString());
}

function post(url: string, headers: Record<string, string>): Promise<Response> {
  return fetch(url, { method: "POST", body: BODY, headers });
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function close(server: Server): Promise<void> {
  await new Promise((resolve) => server.close(resolve));
}

test("Express: the route mounted before express.json() reads the raw stream", async () => {
  const app = express();
  app.post("/webhooks/:source", (req, res) => void inbox.nodeHandler(req.params.source)(req, res));
  app.use(express.json());
  const server = createServer(app);
  const base = await listen(server);
  try {
    const res = await post(`${base}/webhooks/gh`, signed("x-1"));
    assert.equal(res.status, 200);
    assert.deepEqual(await stored("x-1"), [BODY]);
    const bad = await post(`${base}/webhooks/gh`, {
      ...signed("x-2"),
      "x-hub-signature-256": "sha256=00",
    });
    assert.equal(bad.status, 401);
    assert.deepEqual(await stored("x-2"), []);
  } finally {
    await close(server);
  }
});

test("Express: behind express.json() it verifies the bytes kept by `verify`, and refuses when none were kept", async () => {
  const keeping = express();
  keeping.use(
    express.json({
      verify: (req, _res, buf) => {
        (req as IncomingMessage & { rawBody?: Buffer }).rawBody = buf;
      },
    }),
  );
  keeping.post(
    "/webhooks/:source",
    (req, res) => void inbox.nodeHandler(req.params.source)(req, res),
  );
  const losing = express();
  losing.use(express.json());
  losing.post(
    "/webhooks/:source",
    (req, res) => void inbox.nodeHandler(req.params.source)(req, res),
  );

  const servers = [createServer(keeping), createServer(losing)];
  const [keepingUrl, losingUrl] = await Promise.all(servers.map(listen));
  try {
    const kept = await post(`${keepingUrl}/webhooks/gh`, signed("x-3"));
    assert.equal(kept.status, 200);
    assert.deepEqual(await stored("x-3"), [BODY]);

    const lost = await post(`${losingUrl}/webhooks/gh`, signed("x-4"));
    assert.equal(lost.status, 500, "re-serialised JSON is never verified");
    assert.match(await lost.text(), /Raw body unavailable/);
    assert.deepEqual(await stored("x-4"), []);
  } finally {
    await Promise.all(servers.map(close));
  }
});

test("Fastify: a scope whose only parser keeps bodies as Buffers, the reply hijacked", async () => {
  const fastify = Fastify();
  await fastify.register((scope, _options, done) => {
    // Fastify's own JSON parser would win over a "*" parser: remove it in this scope.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser("*", { parseAs: "buffer" }, (_req, body, next) => next(null, body));
    scope.post("/webhooks/:source", (req, reply) => {
      reply.hijack(); // the handler writes the response itself
      const { source } = req.params as { source: string };
      return inbox.nodeHandler(source)(Object.assign(req.raw, { body: req.body }), reply.raw);
    });
    done();
  });
  const base = await fastify.listen({ port: 0, host: "127.0.0.1" });
  try {
    const res = await post(`${base}/webhooks/gh`, signed("f-1"));
    assert.equal(res.status, 200);
    assert.deepEqual(await stored("f-1"), [BODY]);
    const again = await post(`${base}/webhooks/gh`, signed("f-1"));
    assert.equal(again.status, 200);
    assert.equal(((await again.json()) as { duplicate: boolean }).duplicate, true);
    assert.deepEqual(await stored("f-1"), [BODY], "stored once");
    const bad = await post(`${base}/webhooks/gh`, {
      ...signed("f-2"),
      "x-hub-signature-256": "sha256=00",
    });
    assert.equal(bad.status, 401);
  } finally {
    await fastify.close();
  }
});
