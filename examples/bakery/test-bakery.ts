/**
 * The demo on a fresh test database, for the demo's own tests: the
 * environment every test file shares (a free port, silent logs, a store API
 * that never fails, a fast poll), plus what a file adds or overrides.
 */
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { mintDevelopmentToken } from "opskit/auth";
import { startService, type RunningService } from "opskit/service";
import { createTestDatabase, type TestDatabase } from "opskit/testing";
import { bakeryService } from "./service.js";

export interface TestBakery {
  db: TestDatabase;
  service: RunningService<unknown>;
  /** A development bearer token with these roles (no key configured, NODE_ENV test). */
  token(...roles: string[]): Promise<string>;
  /** Stops the service (asserting it stopped cleanly) and drops the database. */
  stop(): Promise<void>;
}

export async function startTestBakery(env: Record<string, string> = {}): Promise<TestBakery> {
  const db = await createTestDatabase();
  let service: RunningService<unknown>;
  try {
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
        ...env,
      },
    });
  } catch (error) {
    await db.drop();
    throw error;
  }
  return {
    db,
    service,
    token: (...roles) => mintDevelopmentToken(service.config, { roles }),
    async stop() {
      assert.equal(await service.stop("test done"), true);
      await db.drop();
    },
  };
}

/**
 * POSTs a Shopify `orders/create` webhook with this raw body, signed with
 * `secret` as Shopify signs it (HMAC-SHA256 of the bytes, base64).
 */
export function postShopifyOrder(
  serviceUrl: string | undefined,
  o: { shop: string; secret: string; webhookId: string; body: string },
): Promise<Response> {
  assert.ok(serviceUrl, "the service listens");
  return fetch(`${serviceUrl}/webhooks/shopify`, {
    method: "POST",
    body: o.body,
    headers: {
      "content-type": "application/json",
      "x-shopify-topic": "orders/create",
      "x-shopify-shop-domain": o.shop,
      "x-shopify-webhook-id": o.webhookId,
      "x-shopify-hmac-sha256": createHmac("sha256", o.secret).update(o.body).digest("base64"),
    },
  });
}
