import assert from "node:assert/strict";
import { test } from "node:test";
import { newInboxEvent as event } from "../../test/inbox.js";
import { withPool } from "../../test/jobs.js";
import { createEventWriter } from "./event-writer.js";

test("concurrent writes share statements; one bad row fails alone; a full queue answers busy", async () => {
  await withPool(async (pool) => {
    const batches: number[] = [];
    const writer = createEventWriter({
      pool,
      sources: [{ name: "gh", maxAttempts: 3 }],
      maxConcurrent: 1,
      onBatch: (n) => batches.push(n),
    });
    const grouped = await Promise.all(
      Array.from({ length: 10 }, (_, i) => writer.write(event(`k${i}`))),
    );
    assert.deepEqual(
      grouped.map((r) => r.kind),
      Array(10).fill("stored"),
    );
    // The first write goes alone; the nine that arrived meanwhile share the next statement.
    assert.deepEqual(batches, [1, 9]);
    // Postgres text cannot hold NUL: this row fails on the server, inside a batch.
    const results = await Promise.allSettled([
      ...Array.from({ length: 10 }, (_, i) => writer.write(event(`k${i + 10}`))),
      writer.write(event("bad", { source: "g\u0000h" })),
      writer.write(event("k13")),
    ]);
    const kinds = results.map((r) => (r.status === "fulfilled" ? r.value.kind : "error"));
    assert.deepEqual(kinds, [...Array<string>(10).fill("stored"), "error", "duplicate"]);
    const { rows } = await pool.query<{ events: number; jobs: number }>(
      `select (select count(*)::int from opskit.inbox_events) as events,
              (select count(*)::int from opskit.jobs where task = 'inbox.gh' and max_attempts = 3) as jobs`,
    );
    assert.deepEqual(rows[0], { events: 20, jobs: 20 });
    await writer.drain();
    assert.equal(writer.pending(), 0);

    const full = createEventWriter({
      pool,
      sources: [{ name: "gh", maxAttempts: 3 }],
      maxConcurrent: 1,
      maxQueued: 1,
    });
    const [first, second, third] = await Promise.all([
      full.write(event("q1")),
      full.write(event("q2")),
      full.write(event("q3")),
    ]);
    // The first goes straight to a statement; the second waits; the third finds the queue full.
    assert.deepEqual([first.kind, second.kind, third.kind], ["stored", "stored", "busy"]);
  });
});

test("a retry of a remembered key is answered from one read, never without the stored row", async () => {
  await withPool(async (pool) => {
    const batches: number[] = [];
    const writer = createEventWriter({
      pool,
      sources: [{ name: "gh", maxAttempts: 3 }],
      onBatch: (n) => batches.push(n),
    });
    assert.equal((await writer.write(event("r1"))).kind, "stored");
    assert.deepEqual(batches, [1]);
    // Remembered and stored: a duplicate, with no insert statement.
    assert.deepEqual(await writer.write(event("r1")), { kind: "duplicate" });
    assert.deepEqual(batches, [1]);
    // Remembered but gone from the table: it goes through the insert and is stored again.
    await pool.query("delete from opskit.inbox_events where dedupe_key = 'r1'");
    assert.equal((await writer.write(event("r1"))).kind, "stored");
    assert.deepEqual(batches, [1, 1]);
    const { rows } = await pool.query<{ n: number }>(
      "select count(*)::int as n from opskit.inbox_events where dedupe_key = 'r1'",
    );
    assert.deepEqual(rows, [{ n: 1 }]);
    await writer.drain();
    assert.equal(writer.pending(), 0);
  });
});
