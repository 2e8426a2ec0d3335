/**
 * Retention deletes relayed events whose deliveries are all done, never one
 * still waiting; the metrics count what the relay and deliveries did and
 * pass the toolkit's metric-name lint.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Registry } from "prom-client";
import { withTransaction } from "../db/index.js";
import { createQueue } from "../jobs/index.js";
import { lintMetricNames } from "../metrics/index.js";
import { count, waitUntil, withPool } from "../../test/jobs.js";
import { createOutbox } from "./create-outbox.js";
import { defineOutboxHandler } from "./define-outbox-handler.js";

test("retention keeps what is pending and deletes what is done; metrics count relayed and delivered events", async () => {
  await withPool(async (pool) => {
    const registry = new Registry();
    const outbox = createOutbox({
      pool,
      registry,
      handlers: [defineOutboxHandler({ name: "ok", types: ["a.*"], handle: () => undefined })],
    });
    await outbox.admin.upsertEndpoint({
      name: "later",
      url: "http://127.0.0.1:9/",
      secret: `whsec_${Buffer.alloc(32, 3).toString("base64")}`,
      eventTypes: ["b.*"],
    });
    await outbox.admin.pauseEndpoint("later");
    await withTransaction(pool, (tx) =>
      outbox.publishMany(tx, [
        { aggregateType: "x", aggregateId: "1", type: "a.done" },
        { aggregateType: "x", aggregateId: "2", type: "b.waiting" },
        { aggregateType: "x", aggregateId: "3", type: "c.nobody" },
      ]),
    );
    // Not relayed yet: retention never deletes what the relay has not read.
    assert.deepEqual(await outbox.admin.prune({ olderThanMs: 0 }), { events: 0 });
    assert.equal(await outbox.relayOnce(), 3);
    const queue = createQueue({ pool, tasks: [...outbox.tasks] });
    const worker = queue.work({ pollIntervalMs: 50 });
    try {
      await waitUntil(
        async () =>
          (await count(
            pool,
            "select 1 from opskit.outbox_deliveries where state = 'delivered'",
          )) === 1,
        "the handler's delivery done",
      );
    } finally {
      await worker.stop();
    }
    assert.deepEqual(await outbox.admin.prune({ olderThanMs: 60_000 }), { events: 0 }, "too young");
    assert.deepEqual(await outbox.admin.prune({ olderThanMs: 0 }), { events: 2 });
    const { rows } = await pool.query<{ type: string }>("select type from opskit.outbox");
    assert.deepEqual(
      rows.map((r) => r.type),
      ["b.waiting"],
      "the paused endpoint's event is kept",
    );
    assert.equal(await count(pool, "select 1 from opskit.outbox_deliveries"), 1);

    const text = await registry.metrics();
    assert.match(text, /opskit_outbox_published_total 3/);
    assert.match(text, /opskit_outbox_delivered_total\{consumer="handler:ok"\} 1/);
    assert.match(text, /opskit_outbox_lag_seconds\{stage="delivery"\} \d/);
    assert.deepEqual(lintMetricNames(registry), []);
  });
});
