/**
 * The demo service's whole route table, walked with generated hostile input:
 * every route the running service's Hono app holds (the demo API, the
 * webhook inbox, probes, metrics, and the console at /ops, not logged in)
 * gets requests written byte by byte on a socket, so nothing a client library
 * would refuse to send is off limits: NUL and control bytes, lone surrogates
 * and invalid UTF-8, numbers past 2^53 or out of range, deep nesting, every
 * content type, oversized headers, CR/LF in header values, path parameters
 * of every shape; webhooks signed with the store's secret so that hostile
 * bodies get past verification.
 *
 * Every answer must be below 500 (no route is legitimately unavailable
 * here: the database is up and the service ready); nothing may be half
 * written (each order has its stage history and its inventory-push job);
 * every stored webhook must process without error; the process stays up.
 * `OPSKIT_FUZZ_RUNS` raises the number of requests (see docs/testing.md).
 */
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { connect } from "node:net";
import { after, before, test } from "node:test";
import fc from "fast-check";
import { waitUntil } from "opskit/testing";
import type { RunningService } from "opskit/service";
import { startTestBakery, type TestBakery } from "./test-bakery.js";
import { DEV_WEBHOOK_SECRETS } from "./webhooks.js";

const RUNS = Number(process.env.OPSKIT_FUZZ_RUNS ?? 1500);
const STORES = ["north.myshopify.com", "south.myshopify.com"];
let bakery: TestBakery;
let service: RunningService<unknown>;
let port: number;
let tokens: { manager: string; staff: string };

before(async () => {
  bakery = await startTestBakery({
    OPSKIT_CONSOLE_ADMIN_TOKENS: "0123456789abcdef0123456789abcdef",
  });
  service = bakery.service;
  port = service.http!.port;
  tokens = {
    manager: await bakery.token("manager"),
    staff: await bakery.token("staff"),
  };
});
after(() => bakery.stop());

interface Route {
  method: string;
  path: string;
}

/** The running app's route table: every method route, middleware (`ALL *`) left out. */
function routeTable(): Route[] {
  const seen = new Map<string, Route>();
  for (const r of service.http!.app.routes) {
    if (r.path.endsWith("*")) continue;
    seen.set(`${r.method} ${r.path}`, { method: r.method, path: r.path });
  }
  return [...seen.values()];
}

// ---------------------------------------------------------------- raw HTTP

interface Answer {
  status: number;
  head: string;
}

/** Sends `request` as is on a new connection and reads the status line of the answer. */
function send(request: Buffer): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    socket.setTimeout(15_000, () => {
      socket.destroy();
      reject(
        new Error(
          `no answer in 15 s to ${JSON.stringify(request.subarray(0, 200).toString("latin1"))}`,
        ),
      );
    });
    socket.on("data", (c: Buffer) => chunks.push(c));
    socket.on("error", () => undefined); // a reset after the answer (the server closing early) is fine
    socket.on("close", () => {
      let text = Buffer.concat(chunks).toString("latin1");
      // Interim answers (100 Continue to an `Expect`) come first: the final one counts.
      while (/^HTTP\/1\.1 1\d\d/.test(text) && text.includes("\r\n\r\n")) {
        text = text.slice(text.indexOf("\r\n\r\n") + 4);
      }
      const match = /^HTTP\/1\.1 (\d{3})/.exec(text);
      if (!match)
        reject(
          new Error(
            `no HTTP answer to ${JSON.stringify(request.subarray(0, 200).toString("latin1"))}: ${JSON.stringify(text.slice(0, 200))}`,
          ),
        );
      else resolve({ status: Number(match[1]), head: text.slice(0, text.indexOf("\r\n\r\n")) });
    });
    // write, not end: a client that half-closes after its request is answered
    // by Node's HTTP server with a closed socket (httpAllowHalfOpen is off),
    // which no real client does. `Connection: close` ends the exchange.
    socket.write(request);
  });
}

function rawRequest(
  method: string,
  target: Buffer,
  headers: [string, Buffer | string][],
  body: Buffer,
): Buffer {
  const lines: Buffer[] = [
    Buffer.from(`${method} `),
    target,
    Buffer.from(" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"),
  ];
  for (const [name, value] of headers)
    lines.push(
      Buffer.from(`${name}: `, "latin1"),
      Buffer.from(value as string),
      Buffer.from("\r\n"),
    );
  lines.push(Buffer.from(`Content-Length: ${body.length}\r\n\r\n`), body);
  return Buffer.concat(lines);
}

// ---------------------------------------------------------------- hostile values

const percent = (bytes: Uint8Array) =>
  [...bytes].map((b) => `%${b.toString(16).padStart(2, "0").toUpperCase()}`).join("");

const numberTexts = fc.constantFrom(
  "0",
  "1",
  "-1",
  "-0",
  "1.5",
  "0.1",
  "1e3",
  "1E-7",
  "1e400",
  "-1e400",
  "2147483647",
  "2147483648",
  "4294967296",
  "100000",
  "100001",
  "9007199254740993",
  "9223372036854775807",
  "9223372036854775808",
  "-9223372036854775809",
  "18446744073709551616",
  "820982911946154508",
  "99999999999999999999999999",
);

/** A path segment: raw bytes of any kind, percent-encoded or not. */
const segment: fc.Arbitrary<Buffer> = fc.oneof(
  numberTexts.map((t) => Buffer.from(t)),
  fc
    .constantFrom(
      "%00",
      "%0D%0A",
      "%ED%A0%80",
      "%FF",
      "%C3%28",
      "..",
      "%2e%2e",
      "%2F",
      "%25",
      "x".repeat(3000),
      "north.myshopify.com",
      "shopify",
      "%20",
      "a%",
      "%zz",
    )
    .map((t) => Buffer.from(t)),
  fc.string({ unit: "binary", maxLength: 20 }).map((s) => Buffer.from(percent(Buffer.from(s)))),
  fc.uint8Array({ maxLength: 12 }).map((b) => Buffer.from(percent(b))),
  fc
    .uint8Array({ minLength: 1, maxLength: 6 })
    .map((b) =>
      Buffer.from(b.map((x) => (x === 0x20 || x === 0x3f || x === 0x23 || x === 0x2f ? 0x41 : x))),
    ),
);

const queryString: fc.Arbitrary<Buffer> = fc
  .array(
    fc.tuple(
      fc.constantFrom("stage", "limit", "before", "since", "until", "state", "q", "x"),
      fc.oneof(
        segment,
        fc.constantFrom("Filling", "Complete", "filling", "").map((t) => Buffer.from(t)),
      ),
    ),
    { maxLength: 4 },
  )
  .map((pairs) =>
    Buffer.concat(pairs.flatMap(([k, v], i) => [Buffer.from(`${i === 0 ? "?" : "&"}${k}=`), v])),
  );

/** A JSON value as text, from harmless to hostile (strings with NUL and lone surrogates, numbers past any range). */
const jsonValueText: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: "binary", maxLength: 30 }).map((s) => JSON.stringify(s)),
  fc.constantFrom(
    '"a\\u0000b"',
    '"\\ud800"',
    '"\\udfff\\ud800"',
    '"\\u0000"',
    '""',
    '"croissant"',
    '"Ada"',
    '"north.myshopify.com"',
    '"\\r\\n"',
  ),
  numberTexts,
  fc.constantFrom("null", "true", "false", "[]", "{}", '[{"sku":"tart","quantity":1}]'),
  fc.integer({ min: 1, max: 30_000 }).map((n) => "[".repeat(n) + "]".repeat(n)),
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
);

/** Mostly `good`, sometimes `hostile`: a request must get past the first check to reach the next. */
const mostly = <T>(good: fc.Arbitrary<T>, hostile: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 3, arbitrary: good }, { weight: 1, arbitrary: hostile });

const orderBody = fc
  .record({
    store: mostly(
      fc.constantFrom(...STORES).map((s) => JSON.stringify(s)),
      jsonValueText,
    ),
    customer: mostly(fc.constant('"Ada"'), jsonValueText),
    sku: mostly(fc.constant('"croissant"'), jsonValueText),
    quantity: mostly(fc.constantFrom("1", "2", "100000"), fc.oneof(numberTexts, jsonValueText)),
    externalId: mostly(
      fc.constantFrom(undefined, '"ext-1"', '"ext-2"', '"820982911946154508"'),
      jsonValueText,
    ),
    stage: mostly(fc.constantFrom('"Covering"', '"Decorating"', '"Complete"'), jsonValueText),
  })
  .map(
    (v) =>
      `{"store":${v.store},"customer":${v.customer},"items":[{"sku":${v.sku},"quantity":${v.quantity}}]` +
      `${v.externalId === undefined ? "" : `,"externalId":${v.externalId}`},"stage":${v.stage}}`,
  );

const shopifyOrder = fc
  .record({
    id: mostly(numberTexts, jsonValueText),
    first: mostly(fc.constant('"Ada"'), jsonValueText),
    sku: mostly(fc.constant('"tart"'), jsonValueText),
    quantity: mostly(fc.constant("1"), fc.oneof(numberTexts, jsonValueText)),
  })
  .map(
    (v) =>
      `{"id":${v.id},"email":"a@example.com","customer":{"first_name":${v.first}},"line_items":[{"sku":${v.sku},"quantity":${v.quantity}}]}`,
  );

const body: fc.Arbitrary<Buffer> = fc.oneof(
  { weight: 6, arbitrary: orderBody.map((t) => Buffer.from(t)) },
  jsonValueText.map((t) => Buffer.from(t)),
  fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)),
  fc.constant(Buffer.alloc(0)),
  fc.constant(Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d])), // {"a":"<invalid UTF-8>"}
);

const contentType = fc.constantFrom(
  undefined,
  "application/json",
  "application/json; charset=utf-8",
  "application/json; charset=latin1",
  "text/plain",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=x",
  "application/merge-patch+json",
  "application/xml",
  "*/*",
  "",
  "application/json\u0000",
  "application/ json",
);

/** Extra headers: oversized, CR/LF inside a value, control bytes, hostile request ids. */
const extraHeaders: fc.Arbitrary<[string, Buffer | string][]> = fc.array(
  fc.oneof(
    fc.constantFrom<[string, string]>(
      ["X-Request-Id", "a\u0000b"],
      ["X-Request-Id", "x".repeat(200)],
      ["X-Big", "y".repeat(20_000)],
      ["X-Split", "a\r\nInjected: yes"],
      ["X-Bare-LF", "a\nb"],
      ["X-Bare-CR", "a\rb"],
      ["X-Ctl", "\u0001\u007f"],
      ["Accept", "text/html"],
      ["Cookie", "opskit_session=forged; other=\u00ff"],
      ["Origin", "https://evil.example"],
      ["Transfer-Encoding", "gzip"],
      ["Content-Encoding", "gzip"],
      ["Expect", "100-continue"],
    ),
    fc.tuple(
      fc.constant("X-Fuzz"),
      fc.uint8Array({ maxLength: 20 }).map((b) => Buffer.from(b)),
    ),
  ),
  { maxLength: 3 },
);

/** A value a path parameter of this name accepts, so the walk gets past routing. */
function goodValue(name: string, n: number): Buffer {
  if (name === "source" || name === "name") return Buffer.from("shopify");
  if (name === "queue") return Buffer.from(n % 2 ? "default" : "inventory-push");
  return Buffer.from(String(1 + (n % 40)));
}

/** Who calls: mostly a manager (so writes are walked deep), else staff, nobody, or a forged token. */
const caller = (tokens: { manager: string; staff: string }) =>
  fc.oneof(
    { weight: 6, arbitrary: fc.constant(`Bearer ${tokens.manager}`) },
    { weight: 1, arbitrary: fc.constant(`Bearer ${tokens.staff}`) },
    { weight: 1, arbitrary: fc.constant(undefined) },
    {
      weight: 1,
      arbitrary: fc.oneof(
        fc.constant(`Bearer ${tokens.manager.slice(0, -4)}AAAA`),
        fc.string({ maxLength: 300 }).map((t) => `Bearer ${t}`),
        fc.string({ maxLength: 100 }).map((t) => `Basic ${Buffer.from(t).toString("base64")}`),
      ),
    },
  );

const request = (routes: Route[], tokens: { manager: string; staff: string }) =>
  fc
    .record({
      // The console has most of the table's routes; its pages all stop at the login
      // check, so the service's own routes (API, inbox, probes) get most requests.
      route: fc.oneof(
        {
          weight: 3,
          arbitrary: fc.constantFrom(...routes.filter((r) => !r.path.startsWith("/ops"))),
        },
        {
          weight: 1,
          arbitrary: fc.constantFrom(...routes.filter((r) => r.path.startsWith("/ops"))),
        },
      ),
      method: fc.oneof(
        { weight: 9, arbitrary: fc.constant(undefined) },
        {
          weight: 1,
          arbitrary: fc.constantFrom("PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "GET", "POST"),
        },
      ),
      params: fc.array(mostly(fc.constant(undefined), segment), { minLength: 4, maxLength: 4 }),
      goodParams: fc.array(fc.nat(1_000_000), { minLength: 4, maxLength: 4 }),
      query: mostly(fc.constant(Buffer.alloc(0)), queryString),
      contentType: mostly(fc.constant("application/json"), contentType),
      headers: mostly(fc.constant<[string, Buffer | string][]>([]), extraHeaders),
      body: fc.oneof(
        body,
        shopifyOrder.map((t) => Buffer.from(t)),
      ),
      signed: mostly(fc.constant(true), fc.constant(false)),
      shop: fc.constantFrom(0, 1),
      authorization: caller(tokens),
    })
    .map((r) => {
      let i = 0;
      const parts = r.route.path.split(/(:\w+(?:\{[^}]*\})?)/);
      const param = (part: string): Buffer => {
        const k = i++ % 4;
        // A good value from the run's numbers (so shrinking keeps it), else the hostile one.
        return r.params[k] ?? goodValue(/^:(\w+)/.exec(part)![1]!, r.goodParams[k]!);
      };
      const target = Buffer.concat([
        ...parts.map((p) => (p.startsWith(":") ? param(p) : Buffer.from(p))),
        r.query,
      ]);
      const method = r.method ?? (r.route.method === "ALL" ? "GET" : r.route.method);
      const headers: [string, Buffer | string][] = [...r.headers];
      if (r.contentType !== undefined) headers.push(["Content-Type", r.contentType]);
      if (r.authorization !== undefined) headers.push(["Authorization", r.authorization]);
      if (r.route.path.startsWith("/webhooks/")) {
        headers.push(
          ["X-Shopify-Shop-Domain", STORES[r.shop]!],
          ["X-Shopify-Topic", "orders/create"],
        );
        headers.push(["X-Shopify-Webhook-Id", `fuzz-${Math.random().toString(36).slice(2)}`]);
        if (r.signed) {
          const mac = createHmac("sha256", DEV_WEBHOOK_SECRETS[r.shop]!)
            .update(r.body)
            .digest("base64");
          headers.push(["X-Shopify-Hmac-Sha256", mac]);
        }
      }
      return {
        label: `${method} ${r.route.path}`,
        bytes: rawRequest(method, target, headers, r.body),
      };
    });

// ---------------------------------------------------------------- the walk

test("every route of the demo answers hostile input below 500, writes nothing half, and the service stays up", async (t) => {
  const routes = routeTable();
  const paths = new Set(routes.map((r) => r.path));
  for (const expected of [
    "/api/orders",
    "/api/orders/:id",
    "/api/orders/:id/stage",
    "/webhooks/:source",
    "/livez",
    "/readyz",
    "/health",
    "/metrics",
  ]) {
    assert.ok(paths.has(expected), `the route table has ${expected}`);
  }
  assert.ok(
    [...paths].some((p) => p.startsWith("/ops")),
    "the console's routes are in the walk",
  );
  // Some orders to address by id.
  for (let n = 0; n < 5; n++) {
    const res = await fetch(`${service.url}/api/orders`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${tokens.manager}` },
      body: JSON.stringify({
        store: STORES[n % 2],
        customer: "Seed",
        items: [{ sku: "tart", quantity: 1 }],
      }),
    });
    assert.equal(res.status, 201);
  }

  const statuses = new Map<string, Set<number>>();
  await fc.assert(
    fc.asyncProperty(request(routes, tokens), async ({ label, bytes }) => {
      const answer = await send(bytes);
      const seen = statuses.get(label) ?? new Set<number>();
      seen.add(answer.status);
      statuses.set(label, seen);
      assert.ok(
        answer.status < 500,
        `${label} answered ${answer.status}:\n${answer.head}\nto ${JSON.stringify(bytes.subarray(0, 400).toString("latin1"))}`,
      );
    }),
    { numRuns: RUNS, includeErrorInReport: true },
  );

  // What the walk reached, per route: statuses seen (a route only ever 4xx was not walked deep).
  for (const [label, seen] of [...statuses].sort()) {
    t.diagnostic(`${label}: ${[...seen].sort().join(" ")}`);
  }

  // The process is up and ready.
  assert.equal((await fetch(`${service.url}/livez`)).status, 200);
  assert.equal((await fetch(`${service.url}/readyz`)).status, 200);

  // Nothing half written: each order's stage is as far as its recorded changes, and each has its push job.
  const { rows: stages } = await service.pool.query<{ id: string; stage: string; changes: number }>(
    `select o.id::text, o.stage, (select count(*)::int from order_stage_changes c where c.order_id = o.id) as changes
       from orders o`,
  );
  const order = ["Filling", "Covering", "Decorating", "Packing", "Complete"];
  for (const s of stages)
    assert.equal(
      order.indexOf(s.stage),
      s.changes,
      `order ${s.id}: ${s.stage} after ${s.changes} changes`,
    );
  const { rows: orphans } = await service.pool.query<{ id: string }>(
    `select o.id::text from orders o where not exists (
       select 1 from (select payload from opskit.jobs union all select payload from opskit.job_history) j
        where j.payload->>'orderId' = o.id::text)`,
  );
  assert.deepEqual(orphans, [], "every order has its inventory-push job");

  // Every stored webhook is processed without an error (a failing one would retry until dead).
  await waitUntil(async () => {
    const { rows } = await service.pool.query<{ n: number }>(
      "select count(*)::int as n from opskit.inbox_events where status = 'pending' and attempts = 0",
    );
    return rows[0]!.n === 0;
  }, "every stored webhook attempted");
  const { rows: failed } = await service.pool.query<{ dedupe_key: string; last_error: string }>(
    "select dedupe_key, last_error from opskit.inbox_events where last_error is not null",
  );
  assert.deepEqual(failed, [], "no webhook failed its processing");
  const { rows: jobErrors } = await service.pool.query<{ task: string; errors: unknown }>(
    `select task, errors from opskit.jobs where errors <> '[]'::jsonb
     union all select task, errors from opskit.dead_jobs`,
  );
  assert.deepEqual(jobErrors, [], "no job failed on fuzzed data");
});
