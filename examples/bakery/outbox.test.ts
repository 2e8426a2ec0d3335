import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, test } from "node:test";
import { Webhook } from "standardwebhooks";
import { mintDevelopmentToken } from "opskit/auth";
import { startService, type RunningService } from "opskit/service";
import { createTestDatabase, waitUntil, type TestDatabase } from "opskit/testing";
import { bakeryService } from "./service.js";

const SECRET = `whsec_${randomBytes(32).toString("base64")}`;
const received: { headers: http.IncomingHttpHeaders; body: string }[] = [];
const receiver = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    received.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
    res.writeHead(204).end();
  });
});
let db: TestDatabase;
let service: RunningService<unknown>;
let token: string;

before(async () => {
  receiver.keepAliveTimeout = 1;
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  db = await createTestDatabase();
  service = await startService({
    ...bakeryService,
    env: {
      DATABASE_URL: db.url,
      PORT: "0",
      HOST: "127.0.0.1",
      LOG_LEVEL: "silent",
      NODE_ENV: "test",
      BAKERY_STORE_FAILURE_RATE: "0",
      OPSKIT_JOBS_POLL_INTERVAL: "100ms",
      BAKERY_OUTBOX_WEBHOOK_URL: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/events`,
      BAKERY_OUTBOX_WEBHOOK_SECRET: SECRET,
    },
  });
  token = await mintDevelopmentToken(service.config, { roles: ["manager"] });
});
after(async () => {
  assert.equal(await service.stop("test done"), true);
  await db.drop();
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
});

async function call(method: string, path: string, body: unknown) {
  const res = await fetch(`${service.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as { order: { id: string } } };
}

test("an order's creation and stage changes reach the configured endpoint, signed, in order", async () => {
  const created = await call("POST", "/api/orders", {
    store: "north.myshopify.com",
    customer: "Ada",
    items: [{ sku: "croissant", quantity: 12 }],
  });
  assert.equal(created.status, 201);
  const id = created.body.order.id;
  for (const stage of ["Covering", "Decorating"]) {
    assert.equal((await call("POST", `/api/orders/${id}/stage`, { stage })).status, 200);
  }
  // A refused change publishes nothing (its transaction rolled back).
  assert.equal((await call("POST", `/api/orders/${id}/stage`, { stage: "Complete" })).status, 409);

  const mine = () =>
    received
      .map((r) => new Webhook(SECRET).verify(r.body, r.headers as Record<string, string>))
      .filter((e) => (e as { aggregate_id: string }).aggregate_id === id) as {
      type: string;
      data: { to?: string };
    }[];
  await waitUntil(() => mine().length >= 3, "three events delivered");
  assert.deepEqual(
    mine().map((e) => `${e.type}${e.data.to ? `:${e.data.to}` : ""}`),
    ["order.created", "order.stage_changed:Covering", "order.stage_changed:Decorating"],
  );
});
