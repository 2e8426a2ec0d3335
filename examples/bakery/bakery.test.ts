import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { startService, type RunningService } from "opskit/service";
import { bakeryService } from "./service.js";
import { startTestBakery, type TestBakery } from "./test-bakery.js";

let bakery: TestBakery;
let service: RunningService<unknown>;
/** A manager's bearer token (development auth: no key configured, NODE_ENV test). */
let manager: string;

before(async () => {
  bakery = await startTestBakery();
  service = bakery.service;
  manager = await bakery.token("manager");
});
after(() => bakery.stop());

interface OrderBody {
  order: { id: string; stage: string };
}

async function call(method: string, path: string, body?: unknown, token = manager) {
  const res = await fetch(`${service.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: body === undefined ? null : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function newOrder(): Promise<string> {
  const res = await call("POST", "/api/orders", {
    store: "north.myshopify.com",
    customer: "Ada",
    items: [{ sku: "croissant", quantity: 12 }],
  });
  assert.equal(res.status, 201);
  return (res.body as unknown as OrderBody).order.id;
}

async function stageChanges(id: string): Promise<number> {
  const { rows } = await service.pool.query<{ n: number }>(
    "select count(*)::int as n from order_stage_changes where order_id = $1",
    [id],
  );
  return rows[0]?.n ?? -1;
}

test("orders are created in Filling, listed and read back", async () => {
  const id = await newOrder();
  const one = await call("GET", `/api/orders/${id}`);
  assert.equal((one.body as unknown as OrderBody).order.stage, "Filling");
  const list = await call("GET", "/api/orders?stage=Filling");
  assert.ok((list.body.orders as { id: string }[]).some((o) => o.id === id));
  assert.equal((await call("GET", "/api/orders/999999")).status, 404);
});

test("a stage change out of order is refused with INVALID_STAGE and changes nothing", async () => {
  const id = await newOrder();
  assert.equal((await call("POST", `/api/orders/${id}/stage`, { stage: "Covering" })).status, 200);
  const skip = await call("POST", `/api/orders/${id}/stage`, { stage: "Packing" });
  assert.equal(skip.status, 409);
  assert.equal((skip.body.error as { code: string }).code, "INVALID_STAGE");
  const back = await call("POST", `/api/orders/${id}/stage`, { stage: "Filling" });
  assert.equal(back.status, 409);
  const current = await call("GET", `/api/orders/${id}`);
  assert.equal((current.body as unknown as OrderBody).order.stage, "Covering");
  assert.equal(await stageChanges(id), 1);
});

test("concurrent changes of one order are serialised: one wins, the rest are refused", async () => {
  const id = await newOrder();
  const attempts = await Promise.all(
    Array.from({ length: 8 }, () => call("POST", `/api/orders/${id}/stage`, { stage: "Covering" })),
  );
  assert.deepEqual(attempts.map((a) => a.status).sort(), [200, 409, 409, 409, 409, 409, 409, 409]);
  assert.equal(await stageChanges(id), 1);
});

test("an order goes through every stage to Complete, and no further", async () => {
  const id = await newOrder();
  for (const stage of ["Covering", "Decorating", "Packing", "Complete"]) {
    assert.equal((await call("POST", `/api/orders/${id}/stage`, { stage })).status, 200);
  }
  const again = await call("POST", `/api/orders/${id}/stage`, { stage: "Complete" });
  assert.equal(again.status, 409);
  assert.match((again.body.error as { message: string }).message, /already Complete/);
});

test("a bad body is a 400 with the failing fields; bad JSON too", async () => {
  const res = await call("POST", "/api/orders", { store: "", items: [] });
  assert.equal(res.status, 400);
  const error = res.body.error as { code: string; details: { issues: { path: string }[] } };
  assert.equal(error.code, "BAD_REQUEST");
  assert.deepEqual(error.details.issues.map((d) => d.path).sort(), ["customer", "items", "store"]);
  const raw = await fetch(`${service.url}/api/orders`, {
    method: "POST",
    body: "{nope",
    headers: { "content-type": "application/json", authorization: `Bearer ${manager}` },
  });
  assert.equal(raw.status, 400);
});

test("probes and metrics are served beside the API, with route templates as labels", async () => {
  const ready = await fetch(`${service.url}/readyz`);
  assert.equal(ready.status, 200);
  const health = (await (await fetch(`${service.url}/health`)).json()) as {
    status: string;
    version: string;
  };
  assert.equal(health.status, "pass");
  assert.equal(health.version, "0.1.0");
  await call("GET", "/api/orders/1");
  await call("GET", "/api/orders/2");
  const metrics = await (await fetch(`${service.url}/metrics`)).text();
  assert.match(
    metrics,
    /http_server_request_duration_seconds_count\{[^}]*http_route="\/api\/orders\/:id"/,
  );
  assert.doesNotMatch(metrics, /http_route="\/api\/orders\/1"/);
});

async function until(condition: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 1_500; i++) {
    if (await condition()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for: ${what}`);
}

test("creating an order enqueues inventory-push in the same transaction; the worker pushes it", async () => {
  const id = await newOrder();
  await until(async () => {
    const { rowCount } = await service.pool.query(
      "select 1 from inventory_pushes where order_id = $1",
      [id],
    );
    return rowCount === 1;
  }, "the inventory push");
  const { rows } = await service.pool.query<{ sku: string; delta: number }>(
    "select sku, delta from inventory_pushes where order_id = $1",
    [id],
  );
  assert.deepEqual(rows, [{ sku: "croissant", delta: -12 }]);
  // A retried order (same store and external id) leaves no second job behind.
  const body = {
    store: "south.myshopify.com",
    externalId: "ext-1",
    customer: "Bo",
    items: [{ sku: "tart", quantity: 1 }],
  };
  assert.equal((await call("POST", "/api/orders", body)).status, 201);
  const orphan =
    "select count(*)::int as n from (select payload from opskit.jobs union all select payload from opskit.job_history) j where not exists (select 1 from orders o where o.id = (j.payload->>'orderId')::bigint)";
  // A retried create answers the order it made, and enqueues nothing more.
  assert.equal((await call("POST", "/api/orders", body)).status, 200);
  assert.equal((await service.pool.query<{ n: number }>(orphan)).rows[0]!.n, 0);
});

test("reconcile is a registered schedule; backfill fills order_item_counts with checkpoints", async () => {
  const { rows } = await service.pool.query<{ name: string; cron: string }>(
    "select name, cron from opskit.job_schedules",
  );
  assert.deepEqual(rows, [{ name: "reconcile", cron: "*/5 * * * *" }]);
  await newOrder();
  const { id } = await service.queue.add("backfill", { batch: 2 });
  await until(
    async () => (await service.queue.get(id))?.state === "completed",
    "backfill completed",
  );
  const job = await service.queue.get(id);
  const { rows: counts } = await service.pool.query<{ n: number; missing: number }>(
    `select count(*)::int as n,
            (select count(*)::int from orders o where not exists (select 1 from order_item_counts c where c.order_id = o.id)) as missing
       from order_item_counts`,
  );
  assert.equal(counts[0]!.missing, 0);
  assert.ok(counts[0]!.n > 0);
  const { rows: last } = await service.pool.query<{ id: string }>(
    "select max(id)::text as id from orders",
  );
  assert.deepEqual(job?.checkpoint, { afterId: last[0]!.id });
  const health = (await (await fetch(`${service.url}/health`)).json()) as {
    checks: Record<string, unknown>;
  };
  assert.ok("jobs-worker:heartbeat" in health.checks);
  assert.ok("jobs-schedules:late" in health.checks);
});

async function raw(method: string, path: string, body: string | Uint8Array, type?: string) {
  const res = await fetch(`${service.url}${path}`, {
    method,
    body,
    headers: {
      authorization: `Bearer ${manager}`,
      ...(type === undefined ? {} : { "content-type": type }),
    },
  });
  return { status: res.status, body: (await res.json()) as { error?: { code: string } } };
}

async function orderCount(): Promise<number> {
  return (await service.pool.query<{ n: number }>("select count(*)::int as n from orders")).rows[0]!
    .n;
}

test("a retried create with the same store and externalId returns the first order; other content is a 409", async () => {
  const body = {
    store: "north.myshopify.com",
    externalId: "retry-1",
    customer: "Cy",
    items: [{ sku: "eclair", quantity: 2 }],
  };
  const first = await call("POST", "/api/orders", body);
  const retried = await call("POST", "/api/orders", body);
  assert.deepEqual([first.status, retried.status], [201, 200]);
  assert.deepEqual(retried.body, first.body);
  const changed = await call("POST", "/api/orders", { ...body, customer: "Someone else" });
  assert.equal(changed.status, 409);
  assert.equal((changed.body.error as { code: string }).code, "CONFLICT");
});

test("a cross-site form (text/plain, urlencoded, multipart) cannot create an order: 415, nothing written", async () => {
  const before = await orderCount();
  const json = JSON.stringify({
    store: "north.myshopify.com",
    customer: "Mallory",
    items: [{ sku: "tart", quantity: 1 }],
  });
  for (const type of [
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=b",
    undefined,
  ]) {
    const res = await raw("POST", "/api/orders", json, type);
    assert.equal(res.status, 415, String(type));
    assert.equal(res.body.error?.code, "UNSUPPORTED_MEDIA_TYPE");
  }
  const id = await newOrder();
  const stage = await raw("POST", `/api/orders/${id}/stage`, '{"stage":"Covering"}', "text/plain");
  assert.equal(stage.status, 415);
  assert.equal(await orderCount(), before + 1);
});

test("input Postgres cannot take is a 400 with a message, never a 500", async () => {
  const order = (extra: Record<string, unknown>) =>
    JSON.stringify({
      store: "south.myshopify.com",
      customer: "Ada",
      items: [{ sku: "tart", quantity: 1 }],
      ...extra,
    });
  const before = await orderCount();
  const bad = [
    order({ customer: "Ada\u0000" }), // 22021 in text
    order({ items: [{ sku: "t\u0000", quantity: 1 }] }), // 22P05 in jsonb
    order({ items: [{ sku: "\ud800", quantity: 1 }] }), // 22P02 in jsonb
    order({ externalId: "\udfff" }),
    order({ items: [{ sku: "tart", quantity: 3_000_000_000 }] }), // an integer delta later
  ].map((text) => text.replace(/\\\\u/g, "\\u"));
  for (const body of bad) {
    const res = await raw("POST", "/api/orders", body, "application/json");
    assert.equal(res.status, 400, body);
    assert.equal(res.body.error?.code, "BAD_REQUEST");
  }
  const notUtf8 = Buffer.concat([
    Buffer.from(order({}).slice(0, -1)),
    Buffer.from(',"x":"\xff"}', "latin1"),
  ]);
  assert.equal((await raw("POST", "/api/orders", notUtf8, "application/json")).status, 400);
  assert.equal(await orderCount(), before);
  // Nineteen digits fit the pattern but not a bigint: 404 for the path, 400 for the filter.
  for (const path of ["/api/orders/9999999999999999999", "/api/orders/9223372036854775808"]) {
    assert.equal((await call("GET", path)).status, 404, path);
  }
  assert.equal((await call("GET", "/api/orders/9223372036854775807")).status, 404);
  assert.equal((await call("GET", "/api/orders?before=9999999999999999999")).status, 400);
  assert.equal((await call("GET", "/api/orders?before=99999999999999999999999")).status, 400);
  assert.equal(
    (await call("POST", "/api/orders/9999999999999999999/stage", { stage: "Covering" })).status,
    404,
  );
});

test("writes need a token: none is a 401 with a challenge, staff may advance a stage but not create, /api/me says who", async () => {
  const body = {
    store: "north.myshopify.com",
    customer: "Ada",
    items: [{ sku: "loaf", quantity: 1 }],
  };
  const anonymous = await fetch(`${service.url}/api/orders`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  assert.equal(anonymous.status, 401);
  assert.match(anonymous.headers.get("www-authenticate") ?? "", /^Bearer/);
  const before = await orderCount();
  const staff = await bakery.token("staff");
  assert.equal((await call("POST", "/api/orders", body, staff)).status, 403);
  assert.equal(await orderCount(), before, "a refused create writes nothing");
  const id = await newOrder();
  assert.equal(
    (await call("POST", `/api/orders/${id}/stage`, { stage: "Covering" }, staff)).status,
    200,
  );
  const me = await call("GET", "/api/me", undefined, staff);
  assert.equal(me.status, 200);
  assert.deepEqual(me.body.roles, ["staff"]);
  assert.equal((await fetch(`${service.url}/api/me`)).status, 401);
});

test("in production the demo refuses to start without a key to verify callers", async () => {
  await assert.rejects(
    startService({
      ...bakeryService,
      env: {
        DATABASE_URL: bakery.db.url,
        PORT: "0",
        LOG_LEVEL: "silent",
        NODE_ENV: "production",
        OPSKIT_ROLE: "api",
        BAKERY_NORTH_WEBHOOK_SECRETS: "north-secret-0123456789",
        BAKERY_SOUTH_WEBHOOK_SECRETS: "south-secret-0123456789",
        OPSKIT_CONSOLE: "false",
      },
    }),
    (error: Error & { code?: string }) =>
      error.code === "AUTH_CONFIG_INVALID" && /OPSKIT_AUTH_JWT_SECRET/.test(error.message),
  );
});
