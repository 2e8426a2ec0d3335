import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { test } from "node:test";
import { mintDevelopmentToken } from "opskit/auth";
import { startService } from "opskit/service";
import { createTestDatabase, waitUntil } from "opskit/testing";
import { PGBOUNCER_MISSING, startPgbouncer } from "../../test/pgbouncer.js";
import { bakeryService } from "./service.js";
import { postShopifyOrder } from "./test-bakery.js";
import { DEV_WEBHOOK_SECRETS } from "./webhooks.js";

// The whole demo (webhook inbox, jobs, outbox relay and delivery, alerts) in
// role all with DATABASE_URL through pgbouncer in transaction mode (two
// server connections) and OPSKIT_DATABASE_DIRECT_URL for its sessions.

test(
  "the bakery behind pgbouncer (transaction mode): signed webhooks become orders, their outbox events are delivered, sessions stay on the direct URL",
  { skip: PGBOUNCER_MISSING, timeout: 300_000 },
  async () => {
    const db = await createTestDatabase();
    const bouncer = await startPgbouncer(db.url, { poolMode: "transaction", poolSize: 2 });
    const received: string[] = [];
    const receiver = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        received.push(Buffer.concat(chunks).toString("utf8"));
        res.writeHead(204).end();
      });
    });
    receiver.keepAliveTimeout = 1;
    await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
    const env = (role: string) => ({
      DATABASE_URL: bouncer.url,
      OPSKIT_DATABASE_DIRECT_URL: db.url,
      OPSKIT_ROLE: role,
      PORT: "0",
      HOST: "127.0.0.1",
      LOG_LEVEL: "silent",
      NODE_ENV: "test",
      BAKERY_STORE_FAILURE_RATE: "0",
      OPSKIT_SHUTDOWN_DRAIN_DELAY: "0",
      BAKERY_OUTBOX_WEBHOOK_URL: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/events`,
      BAKERY_OUTBOX_WEBHOOK_SECRET: `whsec_${Buffer.alloc(32, 7).toString("base64")}`,
    });
    try {
      const migrate = await startService({ ...bakeryService, env: env("migrate") });
      assert.equal(await migrate.stop(), true);
      const service = await startService({ ...bakeryService, env: env("all") });
      try {
        assert.equal(service.preparedStatements, false);
        const total = 20;
        // Concurrent deliveries: pooled clients share two server connections, so a named
        // prepared statement would meet a server session that has it already, or lacks it.
        const statuses = await Promise.all(
          Array.from({ length: total }, async (_, i) => {
            const body = JSON.stringify({
              id: 7100 + i,
              email: "ada@example.com",
              customer: { first_name: "Ada", last_name: "Lovelace" },
              line_items: [{ sku: "croissant", quantity: 6 }],
            });
            const res = await postShopifyOrder(service.url, {
              shop: "north.myshopify.com",
              secret: DEV_WEBHOOK_SECRETS[0]!,
              webhookId: `pooled-${i}`,
              body,
            });
            await res.arrayBuffer();
            return res.status;
          }),
        );
        assert.deepEqual(new Set(statuses), new Set([200]));
        const orders = async () =>
          (await service.pool.query("select 1 from orders where external_id like '71%'")).rowCount;
        await waitUntil(async () => (await orders()) === total, "every webhook made its order");

        // Orders made through the API publish order.created to the outbox in their transaction.
        const token = await mintDevelopmentToken(service.config, { roles: ["manager"] });
        const made = 5;
        for (let i = 0; i < made; i++) {
          const res = await fetch(`${service.url}/api/orders`, {
            method: "POST",
            headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
            body: JSON.stringify({
              store: "north.myshopify.com",
              customer: `Grace ${i}`,
              items: [{ sku: "eclair", quantity: 2 }],
            }),
          });
          await res.arrayBuffer();
          assert.equal(res.status, 201);
        }
        await waitUntil(
          () => received.filter((b) => b.includes("order.created")).length >= made,
          "every order.created event reached the endpoint",
        );

        const { rows } = await service.pool.query<{ name: string; n: number }>(
          // Through the pooler this runs on one of pgbouncer's server sessions: not counted.
          `select application_name as name, count(*)::int as n from pg_stat_activity
            where datname = current_database() and backend_type = 'client backend'
              and application_name like 'opskit-%-l%' group by 1 order by 1`,
        );
        assert.deepEqual(
          Object.fromEntries(rows.map((r) => [r.name, r.n])),
          { "opskit-alerts-leader": 1, "opskit-jobs-listener": 1, "opskit-outbox-listener": 1 },
          "one session each on the direct URL",
        );
      } finally {
        assert.equal(await service.stop(), true, "shutdown is clean");
      }
    } finally {
      await new Promise<void>((resolve) => receiver.close(() => resolve()));
      await bouncer.stop();
      await db.drop();
    }
  },
);
