import assert from "node:assert/strict";
import { test } from "node:test";
import { z } from "zod";
import { withTransaction } from "../db/index.js";
import { isOpskitError } from "../errors.js";
import { count, withPool } from "../../test/jobs.js";
import { createQueue } from "./create-queue.js";
import { defineTask } from "./define-task.js";

const push = defineTask("push", async () => undefined, {
  schema: z.object({ orderId: z.string() }),
});
const other = defineTask("other", async () => undefined, { queue: "slow", priority: 5 });

test("add commits with the caller's transaction, and not on rollback", async () => {
  await withPool(async (pool) => {
    const queue = createQueue({ pool, tasks: [push] });
    await pool.query("create table orders (id int)");
    const added = await withTransaction(pool, async (tx) => {
      await tx.query("insert into orders values (1)");
      return queue.add(push, { orderId: "1" }, { tx });
    });
    assert.equal(added.deduplicated, false);
    assert.match(added.id, /^\d+$/);
    await assert.rejects(
      withTransaction(pool, async (tx) => {
        await queue.add(push, { orderId: "2" }, { tx });
        throw new Error("the caller's work failed");
      }),
    );
    assert.equal(await count(pool, "select 1 from opskit.jobs"), 1);
    const { rows } = await pool.query("select task, queue, payload, state from opskit.jobs");
    assert.deepEqual(rows, [
      { task: "push", queue: "default", payload: { orderId: "1" }, state: "ready" },
    ]);
  });
});

test("options land in the row; a delay or future runAt makes the job scheduled", async () => {
  await withPool(async (pool) => {
    const queue = createQueue({ pool, tasks: [push, other] });
    const { id } = await queue.add(
      other,
      {},
      {
        delayMs: 60_000,
        maxAttempts: 3,
        timeoutMs: 500,
        fifoKey: "k",
        backoff: { type: "fixed", delayMs: 10 },
      },
    );
    const { rows } = await pool.query("select * from opskit.jobs where id = $1", [id]);
    const row = rows[0] as Record<string, unknown>;
    assert.equal(row.state, "scheduled");
    assert.equal(row.queue, "slow");
    assert.equal(row.priority, 5);
    assert.equal(row.max_attempts, 3);
    assert.equal(row.timeout_ms, 500);
    assert.equal(row.fifo_key, "k");
    assert.deepEqual(row.backoff, { type: "fixed", delayMs: 10 });
    assert.ok((row.run_at as Date).getTime() > Date.now() + 50_000);
  });
});

test("dedupe: a pending key returns the existing job with deduplicated: true, also in bulk", async () => {
  await withPool(async (pool) => {
    const queue = createQueue({ pool, tasks: [push] });
    const first = await queue.add(push, { orderId: "1" }, { dedupeKey: "order-1" });
    const again = await queue.add(push, { orderId: "1" }, { dedupeKey: "order-1" });
    assert.deepEqual(again, { id: first.id, deduplicated: true });
    const bulk = await queue.addMany([
      { task: push, payload: { orderId: "1" }, dedupeKey: "order-1" },
      { task: push, payload: { orderId: "2" }, dedupeKey: "order-2" },
      { task: push, payload: { orderId: "2" }, dedupeKey: "order-2" },
      { task: push, payload: { orderId: "3" } },
    ]);
    assert.deepEqual(bulk[0], { id: first.id, deduplicated: true });
    assert.equal(bulk[1]!.deduplicated, false);
    assert.deepEqual(bulk[2], { id: bulk[1]!.id, deduplicated: true });
    assert.equal(bulk[3]!.deduplicated, false);
    assert.equal(await count(pool, "select 1 from opskit.jobs"), 3);
    // Once the job has left the table (here: cancelled), the key is free again.
    assert.equal(await queue.cancel(first.id), "cancelled");
    const fresh = await queue.add(push, { orderId: "1" }, { dedupeKey: "order-1" });
    assert.equal(fresh.deduplicated, false);
    assert.notEqual(fresh.id, first.id);
  });
});

test("concurrent adds of one key from many connections all get the same id", async () => {
  await withPool(async (pool) => {
    const queue = createQueue({ pool, tasks: [push] });
    const results = await Promise.all(
      Array.from({ length: 20 }, () => queue.add(push, { orderId: "x" }, { dedupeKey: "same" })),
    );
    assert.equal(new Set(results.map((r) => r.id)).size, 1);
    assert.equal(results.filter((r) => !r.deduplicated).length, 1);
  });
});

test("an invalid payload or an unknown task is refused at add, nothing is written", async () => {
  await withPool(async (pool) => {
    const queue = createQueue({ pool, tasks: [push] });
    await assert.rejects(
      queue.add(push, { orderId: 12 } as unknown as { orderId: string }),
      (e) => isOpskitError(e, "JOB_PAYLOAD_INVALID") && /orderId/.test(e.message),
    );
    await assert.rejects(queue.add("nope", {}), (e) => isOpskitError(e, "JOB_UNKNOWN_TASK"));
    assert.equal(await count(pool, "select 1 from opskit.jobs"), 0);
  });
});

test("opskit.add_job enqueues from SQL (a trigger), dedupes, and notifies", async () => {
  await withPool(async (pool) => {
    const listener = await pool.connect();
    const heard: string[] = [];
    listener.on("notification", (n) => heard.push(`${n.channel}:${n.payload}`));
    await listener.query("listen opskit_jobs");
    await pool.query(`create table orders (id int);
      create function enqueue_push() returns trigger language plpgsql as $$
      begin
        perform opskit.add_job('push', jsonb_build_object('orderId', new.id::text), dedupe_key => 'order-' || new.id);
        return new;
      end $$;
      create trigger orders_push after insert on orders for each row execute function enqueue_push();`);
    await pool.query("insert into orders values (7)");
    const { rows } = await pool.query<{ id: string }>(
      "select opskit.add_job('push', '{\"orderId\":\"7\"}', dedupe_key => 'order-7')::text as id",
    );
    const jobs = await pool.query<{ id: string; payload: unknown }>(
      "select id::text, payload from opskit.jobs",
    );
    assert.equal(jobs.rows.length, 1);
    assert.equal(rows[0]!.id, jobs.rows[0]!.id);
    assert.deepEqual(jobs.rows[0]!.payload, { orderId: "7" });
    await listener.query("select 1");
    assert.ok(heard.includes("opskit_jobs:default"));
    listener.release();
  });
});
