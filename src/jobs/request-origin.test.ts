import assert from "node:assert/strict";
import { test } from "node:test";
import { createLogger, runWithLogContext } from "../log/index.js";
import { waitUntil, withPool } from "../../test/jobs.js";
import { createQueue } from "./create-queue.js";
import { defineTask } from "./define-task.js";

test("a job added inside a request carries the request's id into its own log lines; one added outside carries none", async () => {
  await withPool(async (pool) => {
    const lines: Record<string, unknown>[] = [];
    const log = createLogger({
      level: "info",
      destination: {
        write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>),
      },
    });
    const note = defineTask("note", (p: { n: number }) => log.info({ n: p.n }, "job ran"));
    const queue = createQueue({ pool, tasks: [note], log });
    const inside = await runWithLogContext({ request_id: "req-origin-1" }, () =>
      queue.add(note, { n: 1 }),
    );
    const outside = await queue.add(note, { n: 2 });
    const { rows } = await pool.query<{ id: string; meta: unknown }>(
      "select id, meta from opskit.jobs where id = any($1::bigint[]) order by id",
      [[inside.id, outside.id]],
    );
    assert.deepEqual(
      rows.map((r) => r.meta),
      [{ request_id: "req-origin-1" }, null],
    );
    const worker = queue.work({ pollIntervalMs: 50 });
    try {
      await waitUntil(() => lines.filter((l) => l.msg === "job ran").length === 2, "both ran");
    } finally {
      await worker.stop();
    }
    const ran = lines.filter((l) => l.msg === "job ran");
    assert.equal(ran.find((l) => l.n === 1)?.request_id, "req-origin-1");
    assert.equal(ran.find((l) => l.n === 1)?.job_id, inside.id);
    assert.equal(ran.find((l) => l.n === 2)?.request_id, undefined);
  });
});
