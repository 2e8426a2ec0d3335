import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, test } from "node:test";
import { Webhook } from "standardwebhooks";
import type { RunningService } from "opskit/service";
import { waitUntil } from "opskit/testing";
import { startTestBakery, type TestBakery } from "./test-bakery.js";

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
let bakery: TestBakery;
let service: RunningService<unknown>;
let token: string;

before(async () => {
  receiver.keepAliveTimeout = 1;
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  bakery = await startTestBakery({
    BAKERY_OUTBOX_WEBHOOK_URL: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/events`,
    BAKERY_OUTBOX_WEBHOOK_SECRET: SECRET,
  });
  service = bakery.service;
  token = await bakery.token("manager");
});
after(async () => {
  await bakery.stop();
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
