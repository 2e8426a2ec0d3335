import assert from "node:assert/strict";
import { test } from "node:test";
import { newInboxEvent as event } from "../../../test/inbox.js";
import { withPool } from "../../../test/jobs.js";
import { eventJobSpecs } from "./event-job-specs.js";
import { storeInboxEvents } from "./store-inbox-events.js";

const JOB_COLUMNS = `j.task, j.queue, j.payload, j.state, j.priority, j.attempts, j.max_attempts,
  j.backoff, j.timeout_ms, j.dedupe_key, j.fifo_key, j.meta, j.errors, j.run_at = now() as run_now`;

test("events get the jobs opskit.add_jobs would add for them, in event order, with a wake-up", async () => {
  await withPool(async (pool) => {
    const listener = await pool.connect();
    const notes: string[] = [];
    listener.on("notification", (n) => notes.push(`${n.channel}:${n.payload}`));
    await listener.query("listen opskit_jobs");
    try {
      const ids = await storeInboxEvents(
        pool,
        [
          event("a"),
          event("b", { orderingKey: "order-7" }),
          event("c", { status: "rejected", rejectReason: "not JSON" }),
          event("a"),
          event("d"),
        ],
        [{ name: "gh", maxAttempts: 3 }],
      );
      assert.equal(ids[3], undefined); // the second "a" is a duplicate
      const stored = ids.filter((id): id is string => id !== undefined);
      assert.equal(stored.length, 4);

      // The jobs as stored, in job id order.
      const { rows: jobs } = await pool.query<Record<string, unknown>>(
        `select ${JOB_COLUMNS.replace("j.run_at = now()", "j.run_at = j.created_at")}
           from opskit.jobs j order by j.id`,
      );
      assert.deepEqual(
        jobs.map((j) => (j.payload as { eventId: string }).eventId),
        [ids[0], ids[1], ids[4]],
      );
      assert.equal(jobs[1]!.fifo_key, "inbox.gh:order-7");

      // What add_jobs makes of the same events' specs (rolled back).
      const client = await pool.connect();
      try {
        await client.query("begin");
        const { rows: added } = await client.query<{ id: string }>(
          `select a.id from opskit.add_jobs((
             select ${eventJobSpecs("e", "3")}
               from opskit.inbox_events e where e.status = 'pending')) a
            order by a.ord`,
        );
        const { rows: viaAddJobs } = await client.query<Record<string, unknown>>(
          `select ${JOB_COLUMNS} from opskit.jobs j where j.id = any($1::bigint[]) order by j.id`,
          [added.map((a) => a.id)],
        );
        assert.equal(viaAddJobs.length, 3);
        assert.deepEqual(viaAddJobs, jobs);
      } finally {
        await client.query("rollback");
        client.release();
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.deepEqual(notes, ["opskit_jobs:inbox.gh"]);

      // Only duplicates: no job, no wake-up.
      await storeInboxEvents(pool, [event("a")], [{ name: "gh", maxAttempts: 3 }]);
      await new Promise((resolve) => setTimeout(resolve, 50));
      const { rows } = await pool.query<{ n: number }>(
        "select count(*)::int as n from opskit.jobs",
      );
      assert.deepEqual(rows, [{ n: 3 }]);
      assert.deepEqual(notes, ["opskit_jobs:inbox.gh"]);
    } finally {
      listener.release();
    }
  });
});
