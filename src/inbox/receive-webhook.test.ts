/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-call -- rows and JSON bodies are read loosely in assertions */
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, test } from "node:test";
import { Registry } from "prom-client";
import Stripe from "stripe";
import { createTestDatabase, type TestDatabase } from "../../test/db.js";
import { createPool, type Pool } from "../db/index.js";
import { createHttpApp } from "../http/index.js";
import { createLogger } from "../log/index.js";
import { lintMetricNames } from "../metrics/index.js";
import {
  createInbox,
  githubVerifier,
  listInboxRejections,
  stripeVerifier,
  type Inbox,
  type Verifier,
} from "./index.js";

const SECRET = "gh-secret";
const STRIPE_SECRET = "whsec_route_test";
const NOW = 1_700_000_000_000;
let db: TestDatabase;
let pool: Pool;
let inbox: Inbox;
let registry: Registry;
const logLines: Record<string, unknown>[] = [];
let verifyCalls = 0;

// A verifier that counts calls: proves a 413 is answered before any hashing.
const countingVerifier: Verifier = {
  ...githubVerifier({ secrets: [SECRET] }),
  verify(request) {
    verifyCalls++;
    return githubVerifier({ secrets: [SECRET] }).verify(request);
  },
};

before(async () => {
  db = await createTestDatabase();
  pool = createPool({ connectionString: db.url, max: 10 });
  registry = new Registry();
  const log = createLogger({
    level: "debug",
    destination: {
      write: (s: string) => void logLines.push(JSON.parse(s) as Record<string, unknown>),
    },
  });
  inbox = createInbox({
    pool,
    log,
    registry,
    now: () => NOW,
    sources: [
      // json: GitHub's verifier accepts any body by default; this source requires JSON.
      {
        name: "gh",
        verifier: githubVerifier({ secrets: [SECRET] }),
        json: true,
        handler: () => undefined,
      },
      { name: "tiny", verifier: countingVerifier, maxBodyBytes: 16, handler: () => undefined },
      {
        name: "stripe",
        verifier: stripeVerifier({ secrets: [STRIPE_SECRET] }),
        handler: () => undefined,
      },
    ],
  });
  await inbox.register();
});
after(async () => {
  await inbox.close();
  await pool.end();
  await db.drop();
});

function app() {
  return createHttpApp({
    log: createLogger({ level: "silent" }),
    mounts: [{ path: "/", app: inbox.app }],
  });
}

function github(body: string, delivery: string, extra: Record<string, string> = {}) {
  return {
    "content-type": "application/json",
    "x-github-event": "push",
    "x-github-delivery": delivery,
    "x-hub-signature-256": "sha256=" + createHmac("sha256", SECRET).update(body).digest("hex"),
    ...extra,
  };
}

async function post(path: string, body: string | Uint8Array, headers: Record<string, string>) {
  const res = await app().request(path, { method: "POST", body, headers });
  return {
    status: res.status,
    headers: res.headers,
    body: (await res.json()) as Record<string, any>,
  };
}

async function rows(sql: string, values: unknown[] = []) {
  return (await pool.query(sql, values)).rows as Record<string, any>[];
}

test("a verified delivery is stored with its raw bytes and masked headers, and its job is queued, before the 200", async () => {
  // Odd spacing: what is stored and verified is these bytes, not a re-serialisation.
  const body = '{"ref":  "refs/heads/main" ,"n":1}';
  const res = await post("/webhooks/gh", body, github(body, "d-1", { authorization: "Bearer x" }));
  assert.equal(res.status, 200);
  assert.deepEqual(res.body, { received: true, duplicate: false, id: res.body.id });
  // Visible from another connection the moment the answer arrives: acknowledged after commit.
  const [event] = await rows("select * from opskit.inbox_events where id = $1", [res.body.id]);
  assert.equal(event!.source, "gh");
  assert.equal(event!.dedupe_key, "d-1");
  assert.equal(event!.topic, "push");
  assert.equal(event!.status, "pending");
  assert.equal(event!.secret_index, 0);
  assert.equal(Buffer.compare(event!.body, Buffer.from(body)), 0);
  assert.equal(event!.headers["x-hub-signature-256"], "[masked]");
  assert.equal(event!.headers.authorization, "[masked]");
  assert.equal(event!.headers["x-github-delivery"], "d-1");
  const jobs = await rows("select task, queue, payload from opskit.jobs where task = 'inbox.gh'");
  assert.deepEqual(jobs, [
    { task: "inbox.gh", queue: "inbox.gh", payload: { eventId: res.body.id } },
  ]);
});

test("a duplicate answers 200 and changes nothing; concurrent duplicates store exactly one event and one job", async () => {
  const body = '{"dup":true}';
  const first = await post("/webhooks/gh", body, github(body, "d-dup"));
  const again = await post("/webhooks/gh", body, github(body, "d-dup"));
  assert.equal(again.status, 200);
  assert.deepEqual(again.body, { received: true, duplicate: true });
  const racing = await Promise.all(
    Array.from({ length: 12 }, () => post("/webhooks/gh", '{"r":1}', github('{"r":1}', "d-race"))),
  );
  assert.deepEqual(new Set(racing.map((r) => r.status)), new Set([200]));
  assert.equal(racing.filter((r) => r.body.duplicate === false).length, 1);
  for (const key of ["d-dup", "d-race"]) {
    const [n] = await rows(
      `select count(*)::int as events,
              (select count(*)::int from opskit.jobs j join opskit.inbox_events e on e.id::text = j.payload->>'eventId' where e.dedupe_key = $1) as jobs
         from opskit.inbox_events where dedupe_key = $1`,
      [key],
    );
    assert.deepEqual(n, { events: 1, jobs: 1 });
  }
  assert.ok(first.body.id);
  const metrics = await registry.getSingleMetricAsString("opskit_inbox_requests_total");
  assert.match(metrics, /source="gh",outcome="duplicate"\} (1[2-9]|[2-9]\d)/);
});

test("a bad or missing signature is 401 with no reason in the response; nothing stored, the reason logged and recorded", async () => {
  const body = '{"evil":1}';
  const forged = await post("/webhooks/gh", body, {
    ...github(body, "d-forged"),
    "x-hub-signature-256": "sha256=" + "0".repeat(64),
  });
  assert.equal(forged.status, 401);
  assert.equal(forged.body.error.code, "WEBHOOK_UNVERIFIED");
  assert.doesNotMatch(JSON.stringify(forged.body), /bad_signature|secret|matched/);
  const missing = await post("/webhooks/gh", body, { "x-github-delivery": "d-forged" });
  assert.equal(missing.status, 401);
  assert.equal(
    (await rows("select 1 from opskit.inbox_events where dedupe_key = 'd-forged'")).length,
    0,
  );
  assert.ok(logLines.some((l) => l.reason === "bad_signature" && l.category === "inbox"));
  await inbox.close(); // flushes the rejection buffer
  const recorded = await listInboxRejections(pool, { source: "gh" });
  // Sorted: both are written in one batch, with one rejected_at.
  assert.deepEqual(
    recorded
      .slice(0, 2)
      .map((r) => [r.reason, r.http_status, r.delivery_id])
      .sort(),
    [
      ["bad_signature", 401, "d-forged"],
      ["missing_signature", 401, "d-forged"],
    ],
  );
  const metrics = await registry.getSingleMetricAsString("opskit_inbox_unverified_total");
  assert.match(metrics, /source="gh",reason="bad_signature"\} 1/);
  assert.deepEqual(
    lintMetricNames(registry),
    [],
    "the inbox's metric names follow the conventions",
  );
});

test("stale and future Stripe timestamps are 401; the reason is in the log, not the response", async () => {
  const stripe = new Stripe("sk_test_unused");
  const body = '{"id":"evt_1","type":"charge.succeeded"}';
  for (const [offset, reason] of [
    [-400, "stale_timestamp"],
    [400, "future_timestamp"],
  ] as const) {
    const header = stripe.webhooks.generateTestHeaderString({
      payload: body,
      secret: STRIPE_SECRET,
      timestamp: NOW / 1000 + offset,
    });
    const res = await post("/webhooks/stripe", body, { "stripe-signature": header });
    assert.equal(res.status, 401);
    assert.doesNotMatch(JSON.stringify(res.body), /timestamp|stale|future/);
    assert.ok(logLines.some((l) => l.reason === reason && l.source === "stripe"));
  }
  const ok = stripe.webhooks.generateTestHeaderString({
    payload: body,
    secret: STRIPE_SECRET,
    timestamp: NOW / 1000,
  });
  const stored = await post("/webhooks/stripe", body, { "stripe-signature": ok });
  assert.equal(stored.status, 200);
  const [event] = await rows(
    "select dedupe_key, topic, signed_at from opskit.inbox_events where id = $1",
    [stored.body.id],
  );
  assert.deepEqual(event, {
    dedupe_key: "evt_1",
    topic: "charge.succeeded",
    signed_at: new Date(NOW),
  });
});

test("an unknown source is 404; a body over the cap is 413 before the verifier runs, declared or streamed", async () => {
  assert.equal((await post("/webhooks/nope", "{}", {})).status, 404);
  verifyCalls = 0;
  const big = '{"x":"' + "a".repeat(100) + '"}';
  const declared = await post("/webhooks/tiny", big, github(big, "d-big"));
  assert.equal(declared.status, 413);
  assert.equal(declared.body.error.code, "PAYLOAD_TOO_LARGE");
  // No Content-Length: a stream is cut as soon as it passes the cap.
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      for (let i = 0; i < 10; i++) controller.enqueue(new TextEncoder().encode("0123456789"));
      controller.close();
    },
  });
  const res = await inbox.app.request("/webhooks/tiny", {
    method: "POST",
    body: stream,
    headers: github("", "d-big2"),
    duplex: "half",
  });
  assert.equal(res.status, 413);
  assert.equal(verifyCalls, 0);
  const small = "{}";
  assert.equal((await post("/webhooks/tiny", small, github(small, "d-small"))).status, 200);
  assert.equal(verifyCalls, 1);
});

test("a verified body that is not JSON, or has no dedupe key, is stored as rejected (400) and never queued", async () => {
  const notJson = "<xml>nope</xml>";
  const res = await post("/webhooks/gh", notJson, github(notJson, "d-xml"));
  assert.equal(res.status, 400);
  assert.match(res.body.error.message, /not JSON/);
  const [event] = await rows(
    "select id, status, reject_reason from opskit.inbox_events where dedupe_key = 'd-xml'",
  );
  assert.equal(event!.status, "rejected");
  assert.equal(event!.reject_reason, "the body is not JSON");
  const noKey = '{"a":1}';
  const headers = github(noKey, "x");
  delete (headers as Record<string, string>)["x-github-delivery"];
  assert.equal((await post("/webhooks/gh", noKey, headers)).status, 400);
  const [keyless] = await rows(
    "select dedupe_key, status, reject_reason from opskit.inbox_events where body = $1",
    [Buffer.from(noKey)],
  );
  assert.match(keyless!.dedupe_key, /^sha256:[0-9a-f]{64}$/);
  assert.match(keyless!.reject_reason, /no usable dedupe key \(header x-github-delivery\)/);
  // The same bytes again: a duplicate, not a second rejected row.
  assert.equal((await post("/webhooks/gh", noKey, headers)).status, 200);
  const jobs = await rows(
    "select 1 from opskit.jobs j join opskit.inbox_events e on e.id::text = j.payload->>'eventId' where e.status = 'rejected'",
  );
  assert.equal(jobs.length, 0);
});

test("database down: 503 with Retry-After, never 2xx; saturated writer: 503 INBOX_BUSY", async () => {
  const deadPool = createPool({
    connectionString: "postgres://x:y@127.0.0.1:1/none",
    connectionTimeoutMillis: 500,
  });
  const down = createInbox({
    pool: deadPool,
    sources: [
      { name: "gh", verifier: githubVerifier({ secrets: [SECRET] }), handler: () => undefined },
    ],
  });
  try {
    const res = await down.app.request("/webhooks/gh", {
      method: "POST",
      body: "{}",
      headers: github("{}", "d-down"),
    });
    assert.equal(res.status, 503);
    assert.equal(res.headers.get("retry-after"), "5");
    assert.equal(
      ((await res.json()) as { error: { code: string } }).error.code,
      "DEPENDENCY_FAILURE",
    );
  } finally {
    await down.close();
    await deadPool.end();
  }
  const busy = createInbox({
    pool,
    writer: { maxQueued: 0 },
    sources: [
      { name: "gh", verifier: githubVerifier({ secrets: [SECRET] }), handler: () => undefined },
    ],
  });
  const res = await busy.app.request("/webhooks/gh", {
    method: "POST",
    body: "{}",
    headers: github("{}", "d-busy"),
  });
  assert.equal(res.status, 503);
  assert.equal(res.headers.get("retry-after"), "5");
  assert.equal(((await res.json()) as { error: { code: string } }).error.code, "INBOX_BUSY");
  assert.equal(
    (await rows("select 1 from opskit.inbox_events where dedupe_key = 'd-busy'")).length,
    0,
  );
  await busy.close();
});

test("the Node http handler reads the raw request stream (the path Express and Fastify use)", async () => {
  const server: Server = createServer((req, res) => void inbox.nodeHandler()(req, res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/gh`;
    const body = '{ "spaced" :  true }';
    const res = await fetch(url, { method: "POST", body, headers: github(body, "d-node") });
    assert.equal(res.status, 200);
    const stored = (await res.json()) as { id: string };
    const [event] = await rows("select body from opskit.inbox_events where id = $1", [stored.id]);
    assert.equal(event!.body.toString(), body);
    const bad = await fetch(url, {
      method: "POST",
      body,
      headers: { ...github(body, "d-node2"), "x-hub-signature-256": "sha256=00" },
    });
    assert.equal(bad.status, 401);
    const unknown = await fetch(url.replace("/gh", "/zz"), { method: "POST", body });
    assert.equal(unknown.status, 404);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});
