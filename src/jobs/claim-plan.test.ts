import assert from "node:assert/strict";
import { test } from "node:test";
import { waitUntil, withPool } from "../../test/jobs.js";
import { createQueue } from "./create-queue.js";
import { defineTask } from "./define-task.js";
import { claimJobs } from "./sql/claim-jobs.js";

test("after a burst into a queue analyzed when empty, maintenance refreshes the statistics and the claim reads its index in order", async () => {
  await withPool(async (pool) => {
    const noop = defineTask("noop", async () => undefined);
    const queue = createQueue({ pool, tasks: [noop] });
    // Autovacuum would analyze the table on its own at some point in the wait
    // below (and then maintenance rightly has nothing to do): keep it out.
    await pool.query("alter table opskit.jobs set (autovacuum_enabled = off)");
    await pool.query("vacuum analyze opskit.jobs");
    for (let i = 0; i < 3; i++) {
      await queue.addMany(Array.from({ length: 10_000 }, () => ({ task: noop, payload: {} })));
    }
    const plan = async () =>
      (
        await pool.query<{ "QUERY PLAN": string }>(
          `explain select id from opskit.jobs j where j.state = 'ready' and j.queue = any('{default}')
            order by j.priority, j.run_at, j.id limit 200 for update skip locked`,
        )
      ).rows
        .map((r) => r["QUERY PLAN"])
        .join("\n");
    // Stale statistics (the table was empty when analyzed): every claim would sort all ready jobs.
    assert.match(await plan(), /Sort/);
    // The statistics collector publishes the change counts asynchronously: wait until maintenance acts on them.
    await waitUntil(
      async () => (await queue.maintain()).analyzed,
      "maintenance analyzed the table",
    );
    assert.doesNotMatch(await plan(), /Sort/);
    assert.match(await plan(), /Index Scan using jobs_ready_idx/);
    assert.equal((await queue.maintain()).analyzed, false, "not again right away");
  });
});

test("a claim commits without waiting for its WAL flush, and only its own transaction does", async () => {
  await withPool(async (pool) => {
    const noop = defineTask("noop", async () => undefined);
    const queue = createQueue({ pool, tasks: [noop] });
    await queue.add(noop, {});
    const client = await pool.connect();
    try {
      const setting = async () =>
        (await client.query<{ s: string }>("select current_setting('synchronous_commit') as s"))
          .rows[0]?.s;
      await client.query("set synchronous_commit = on"); // the test server's default is off
      await client.query("begin");
      const claimed = await claimJobs(client, {
        worker: "w",
        queues: ["default"],
        tasks: ["noop"],
        limit: 10,
        leaseMs: 30_000,
        prepared: true,
      });
      assert.equal(claimed.length, 1);
      assert.equal(await setting(), "off", "the claim's transaction commits asynchronously");
      await client.query("commit");
      assert.equal(await setting(), "on", "the session (a pooled connection) keeps its setting");
    } finally {
      client.release();
    }
  });
});
