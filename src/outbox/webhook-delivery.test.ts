/**
 * Outbound webhooks against a real local receiver: signed per Standard
 * Webhooks (verified with the `standardwebhooks` package, also during a
 * secret rotation), delivered in order per aggregate after the endpoint was
 * down for a while, and disabled after its run of failures, with the alert.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, test } from "node:test";
import { Webhook } from "standardwebhooks";
import { builtinRules, createSeriesWindow } from "../alerts/index.js";
import { withTransaction } from "../db/index.js";
import { createQueue } from "../jobs/index.js";
import { count, waitUntil, withPool } from "../../test/jobs.js";
import { startReceiver } from "../../test/receivers.js";
import { createOutbox } from "./create-outbox.js";

const secret = () => `whsec_${randomBytes(32).toString("base64")}`;
const fast = { backoff: { type: "fixed", delayMs: 30 } as const, pollIntervalMs: 50 };

test("an endpoint down for a while gets every event later, signed, in order per aggregate", async () => {
  const receiver = await startReceiver(503);
  after(() => receiver.close());
  await withPool(async (pool) => {
    const outbox = createOutbox({ pool, ...fast, endpointMaxAttempts: 1000 });
    const queue = createQueue({ pool, tasks: [...outbox.tasks] });
    const key = secret();
    await outbox.admin.upsertEndpoint({
      name: "crm",
      url: `${receiver.url}/hooks`,
      secret: key,
      eventTypes: ["order.*"],
      maxFailures: 1000,
    });
    const relay = outbox.startRelay();
    const worker = queue.work({ concurrency: 4, pollIntervalMs: 50 });
    try {
      for (let i = 0; i < 5; i++) {
        await withTransaction(pool, async (tx) => {
          for (const order of ["a", "b", "c"]) {
            await outbox.publish(tx, {
              aggregateType: "order",
              aggregateId: order,
              type: "order.stage_changed",
              payload: { order, step: i },
            });
          }
          // Filtered out: the endpoint takes order.* only.
          await outbox.publish(tx, { aggregateType: "user", aggregateId: "u", type: "user.seen" });
        });
      }
      await waitUntil(() => receiver.requests.length >= 6, "several refused attempts");
      receiver.status = 200;
      await waitUntil(() => receiver.accepted().length >= 15, "all delivered");
      await waitUntil(
        async () =>
          (await count(
            pool,
            "select 1 from opskit.outbox_deliveries where state = 'delivered'",
          )) === 15,
        "all marked delivered",
      );
      const wh = new Webhook(key);
      const perOrder = new Map<string, number[]>();
      for (const r of receiver.accepted()) {
        const verified = wh.verify(r.body, r.headers as Record<string, string>) as {
          id: string;
          type: string;
          data: { order: string; step: number };
        };
        assert.equal(r.headers["webhook-id"], verified.id, "webhook-id is the event's id");
        perOrder.set(verified.data.order, [
          ...(perOrder.get(verified.data.order) ?? []),
          verified.data.step,
        ]);
      }
      for (const order of ["a", "b", "c"]) {
        assert.deepEqual(perOrder.get(order), [0, 1, 2, 3, 4], `order ${order} in order`);
      }
      const [ep] = await outbox.admin.listEndpoints();
      assert.equal(ep?.state, "active");
      assert.equal(ep?.consecutive_failures, 0);
      assert.equal(ep?.pending, 0);
      assert.equal(
        JSON.stringify(await outbox.admin.listEndpoints()).includes(key.slice(6, 20)),
        false,
        "an endpoint listing never shows its secret",
      );

      // A rotation signs with both secrets: a receiver holding either verifies.
      const next = secret();
      await outbox.admin.rotateSecret("crm", next);
      const before = receiver.accepted().length;
      await withTransaction(pool, (tx) =>
        outbox.publish(tx, { aggregateType: "order", aggregateId: "a", type: "order.created" }),
      );
      await waitUntil(() => receiver.accepted().length === before + 1, "rotated delivery");
      const last = receiver.accepted().at(-1)!;
      assert.equal(String(last.headers["webhook-signature"]).split(" ").length, 2);
      new Webhook(key).verify(last.body, last.headers as Record<string, string>);
      new Webhook(next).verify(last.body, last.headers as Record<string, string>);
      await outbox.admin.finishRotation("crm");
      await withTransaction(pool, (tx) =>
        outbox.publish(tx, { aggregateType: "order", aggregateId: "a", type: "order.created" }),
      );
      await waitUntil(() => receiver.accepted().length === before + 2, "after the rotation");
      const final = receiver.accepted().at(-1)!;
      new Webhook(next).verify(final.body, final.headers as Record<string, string>);
      assert.throws(() =>
        new Webhook(key).verify(final.body, final.headers as Record<string, string>),
      );
    } finally {
      await relay.stop();
      await worker.stop();
    }
  });
});

test("an endpoint failing its run of attempts is disabled, deliveries wait, resume delivers them in order", async () => {
  const receiver = await startReceiver(500);
  after(() => receiver.close());
  await withPool(async (pool) => {
    const outbox = createOutbox({ pool, ...fast });
    const queue = createQueue({ pool, tasks: [...outbox.tasks] });
    const key = secret();
    await outbox.admin.upsertEndpoint({
      name: "erp",
      url: receiver.url,
      secret: key,
      maxFailures: 3,
    });
    const relay = outbox.startRelay();
    const worker = queue.work({ concurrency: 2, pollIntervalMs: 50 });
    try {
      for (let i = 0; i < 4; i++) {
        await withTransaction(pool, (tx) =>
          outbox.publish(tx, {
            aggregateType: "order",
            aggregateId: "9",
            type: "order.x",
            payload: { i },
          }),
        );
      }
      await waitUntil(
        async () => (await outbox.admin.endpoint("erp")).state === "disabled",
        "endpoint disabled",
      );
      const ep = await outbox.admin.endpoint("erp");
      assert.equal(ep.consecutive_failures, 3);
      assert.match(ep.state_reason ?? "", /3 consecutive failures: HTTP 500/);
      assert.equal(ep.pending, 4, "nothing lost while disabled");
      assert.equal(receiver.requests.length, 3);

      // The built-in alert rule reads the same state through the admin handle.
      const rule = builtinRules().find((r) => r.name === "OutboxEndpointDisabled")!;
      const samples = await rule.evaluate({
        pool,
        registry: undefined,
        health: undefined,
        migrations: [],
        series: createSeriesWindow(),
        now: Date.now(),
        once: (_key, read) => read(),
      });
      assert.deepEqual(samples, [{ labels: { endpoint: "erp" }, value: 4 }]);

      receiver.status = 200;
      const resumed = await outbox.admin.resumeEndpoint("erp");
      assert.equal(resumed.lines, 1);
      await waitUntil(() => receiver.accepted().length === 4, "delivered after resume");
      assert.deepEqual(
        receiver.accepted().map((r) => (r.json as { data: { i: number } }).data.i),
        [0, 1, 2, 3],
      );
    } finally {
      await relay.stop();
      await worker.stop();
    }
  });
});
