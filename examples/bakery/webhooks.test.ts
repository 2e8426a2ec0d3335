import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { waitUntil } from "opskit/testing";
import { createLogger } from "opskit/log";
import type { RunningService } from "opskit/service";
import { postShopifyOrder, startTestBakery, type TestBakery } from "./test-bakery.js";
import { startTrafficSimulator } from "./traffic-simulator.js";
import { DEV_WEBHOOK_SECRETS } from "./webhooks.js";

const NORTH = "north.myshopify.com";
const SOUTH = "south.myshopify.com";
const ROTATED = "shpss_new_north_secret";
let bakery: TestBakery;
let service: RunningService<unknown>;

before(async () => {
  bakery = await startTestBakery({
    // North is rotating: the new secret and the old (development) one are both active.
    BAKERY_NORTH_WEBHOOK_SECRETS: `${ROTATED},${DEV_WEBHOOK_SECRETS[0]}`,
  });
  service = bakery.service;
});
after(() => bakery.stop());

let webhookId = 0;
/** `orderId` as a string is written as a raw JSON number (a 64-bit id JSON.stringify cannot write). */
async function postOrder(
  shop: string,
  secret: string,
  orderId: number | string,
  id = `wh-${++webhookId}`,
) {
  const body = JSON.stringify({
    id: typeof orderId === "number" ? orderId : "@ID@",
    email: "ada@example.com",
    customer: { first_name: "Ada", last_name: "Lovelace" },
    line_items: [
      { sku: "croissant", quantity: 6 },
      { sku: "eclair", quantity: 2 },
    ],
  }).replace('"@ID@"', String(orderId));
  const res = await postShopifyOrder(service.url, { shop, secret, webhookId: id, body });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function orders(externalId: string) {
  const { rows } = await service.pool.query<{
    id: string;
    store: string;
    stage: string;
    customer: string;
  }>("select id::text, store, stage, customer from orders where external_id = $1", [externalId]);
  return rows;
}

test("each store's signed order webhook creates the order in Filling and its inventory push runs", async () => {
  assert.equal((await postOrder(NORTH, ROTATED, 9001)).status, 200);
  assert.equal(
    (await postOrder(NORTH, DEV_WEBHOOK_SECRETS[0]!, 9002)).status,
    200,
    "the old secret still works",
  );
  assert.equal((await postOrder(SOUTH, DEV_WEBHOOK_SECRETS[1]!, 9003)).status, 200);
  for (const [externalId, store] of [
    ["9001", NORTH],
    ["9002", NORTH],
    ["9003", SOUTH],
  ] as const) {
    await waitUntil(async () => (await orders(externalId)).length === 1, `order ${externalId}`);
    const [order] = await orders(externalId);
    assert.deepEqual(
      [order!.store, order!.stage, order!.customer],
      [store, "Filling", "Ada Lovelace"],
    );
    await waitUntil(async () => {
      const { rows } = await service.pool.query(
        "select sku from inventory_pushes where order_id = $1",
        [order!.id],
      );
      return rows.length === 2;
    }, `inventory push of ${externalId}`);
  }
  const { rows } = await service.pool.query(
    "select status, attempts from opskit.inbox_events where source = 'shopify' and dedupe_key like 'wh-%' order by id",
  );
  assert.deepEqual(rows.slice(0, 3), Array(3).fill({ status: "processed", attempts: 1 }));
});

test("a duplicate delivery creates nothing; one store's signature does not pass as the other's", async () => {
  const first = await postOrder(SOUTH, DEV_WEBHOOK_SECRETS[1]!, 9100, "wh-dup");
  const again = await postOrder(SOUTH, DEV_WEBHOOK_SECRETS[1]!, 9100, "wh-dup");
  assert.equal(first.status, 200);
  assert.deepEqual(again.body, { received: true, duplicate: true });
  const forged = await postOrder(NORTH, DEV_WEBHOOK_SECRETS[1]!, 9101);
  assert.equal(forged.status, 401);
  await waitUntil(async () => (await orders("9100")).length === 1, "order 9100");
  assert.equal((await orders("9101")).length, 0);
});

test("the traffic simulator sends signed orders, duplicates, retries and forged requests", async () => {
  const simulator = startTrafficSimulator({
    url: service.url!,
    stores: [
      { domain: NORTH, secret: ROTATED },
      { domain: SOUTH, secret: DEV_WEBHOOK_SECRETS[1]! },
    ],
    intervalMs: 3_600_000,
    log: createLogger({ level: "silent" }),
  });
  try {
    const count = async () =>
      (
        await service.pool.query<{ n: number }>(
          "select count(*)::int as n from opskit.inbox_events",
        )
      ).rows[0]!.n;
    const before = await count();
    const statuses = [];
    for (const kind of ["order", "order", "duplicate", "retry", "forged"] as const) {
      statuses.push(await simulator.send(kind));
    }
    assert.deepEqual(statuses, [200, 200, 200, 200, 401]);
    assert.equal((await count()) - before, 2);
  } finally {
    simulator.stop();
  }
});

test("two Shopify orders whose 64-bit ids differ past 2^53 are two orders, each with its exact id", async () => {
  const a = await postOrder(NORTH, ROTATED, "820982911946154508");
  const b = await postOrder(NORTH, ROTATED, "820982911946154509");
  assert.deepEqual([a.status, b.status], [200, 200]);
  assert.equal(b.body.duplicate, false);
  for (const externalId of ["820982911946154508", "820982911946154509"]) {
    await waitUntil(async () => (await orders(externalId)).length === 1, `order ${externalId}`);
  }
  const { rows } = await service.pool.query<{ n: number }>(
    "select count(*)::int as n from orders where external_id like '8209829119461545%'",
  );
  assert.equal(rows[0]!.n, 2);
  const listed = (await (await fetch(`${service.url}/api/orders?limit=500`)).json()) as {
    orders: { external_id: string }[];
  };
  const ids = listed.orders.map((o) => o.external_id).filter((e) => e?.startsWith("8209829"));
  assert.deepEqual(ids.sort(), ["820982911946154508", "820982911946154509"]);
});

test("a verified order with a NUL, a lone surrogate or a huge quantity is created, not failed until dead", async () => {
  const body =
    '{"id": 9300, "customer": {"first_name": "A\\u0000da"}, "line_items": [' +
    '{"sku": "\\ud800x", "quantity": 1}, {"sku": "tart", "quantity": 1e12}, {"sku": "pie", "quantity": 2}]}';
  const res = await postShopifyOrder(service.url, {
    shop: SOUTH,
    secret: DEV_WEBHOOK_SECRETS[1]!,
    webhookId: "wh-hostile",
    body,
  });
  assert.equal(res.status, 200);
  await waitUntil(async () => (await orders("9300")).length === 1, "order 9300");
  assert.equal((await orders("9300"))[0]!.customer, "Ada");
  const { rows } = await service.pool.query<{ items: unknown }>(
    "select items from orders where external_id = '9300'",
  );
  assert.deepEqual(rows[0]!.items, [
    { sku: "\uFFFDx", quantity: 1 },
    { sku: "pie", quantity: 2 },
  ]);
});

test("an orders/create whose id holds a NUL or a lone surrogate creates no order and does not fail", async () => {
  for (const [id, webhookId] of [
    ['"a\\u0000b"', "wh-nul-id"],
    ['"\\ud800"', "wh-surrogate-id"],
  ] as const) {
    const body = `{"id": ${id}, "line_items": [{"sku": "pie", "quantity": 1}]}`;
    const res = await postShopifyOrder(service.url, {
      shop: SOUTH,
      secret: DEV_WEBHOOK_SECRETS[1]!,
      webhookId,
      body,
    });
    assert.equal(res.status, 200);
    await waitUntil(async () => {
      const { rows } = await service.pool.query<{ status: string }>(
        "select status from opskit.inbox_events where dedupe_key = $1",
        [webhookId],
      );
      return rows[0]?.status === "processed";
    }, `${webhookId} processed`);
  }
});
