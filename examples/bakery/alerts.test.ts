import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { createAlertsAdmin } from "opskit/alerts";
import type { RunningService } from "opskit/service";
import { waitUntil } from "opskit/testing";
import { startTestBakery, type TestBakery } from "./test-bakery.js";

let bakery: TestBakery;
let service: RunningService<unknown>;

before(async () => {
  bakery = await startTestBakery({
    // The store's API refuses every inventory push.
    BAKERY_STORE_FAILURE_RATE: "1",
    OPSKIT_ALERTS_EVALUATION_INTERVAL: "200ms",
  });
  service = bakery.service;
});
after(() => bakery.stop());

test("when the store's API fails, StoreApiFailing fires and /health names it", async () => {
  const manager = await bakery.token("manager");
  const res = await fetch(`${service.url}/api/orders`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${manager}` },
    body: JSON.stringify({
      store: "north.myshopify.com",
      customer: "Ada",
      items: [{ sku: "loaf", quantity: 2 }],
    }),
  });
  assert.equal(res.status, 201);
  const alerts = createAlertsAdmin(service.pool);
  await waitUntil(
    async () => (await alerts.list({ state: "firing" })).some((a) => a.rule === "StoreApiFailing"),
    "StoreApiFailing firing",
  );
  await waitUntil(async () => {
    const health = await (await fetch(`${service.url}/health`)).text();
    return health.includes("StoreApiFailing");
  }, "/health lists the firing alert");
});
