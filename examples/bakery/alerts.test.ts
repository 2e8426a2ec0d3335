import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { createAlertsAdmin } from "opskit/alerts";
import { mintDevelopmentToken } from "opskit/auth";
import { startService, type RunningService } from "opskit/service";
import { createTestDatabase, waitUntil, type TestDatabase } from "opskit/testing";
import { bakeryService } from "./service.js";

let db: TestDatabase;
let service: RunningService<unknown>;

before(async () => {
  db = await createTestDatabase();
  service = await startService({
    ...bakeryService,
    env: {
      DATABASE_URL: db.url,
      PORT: "0",
      HOST: "127.0.0.1",
      LOG_LEVEL: "silent",
      NODE_ENV: "test",
      // The store's API refuses every inventory push.
      BAKERY_STORE_FAILURE_RATE: "1",
      OPSKIT_JOBS_POLL_INTERVAL: "100ms",
      OPSKIT_ALERTS_EVALUATION_INTERVAL: "200ms",
    },
  });
});
after(async () => {
  assert.equal(await service.stop("test done"), true);
  await db.drop();
});

test("when the store's API fails, StoreApiFailing fires and /health names it", async () => {
  const manager = await mintDevelopmentToken(service.config, { roles: ["manager"] });
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
