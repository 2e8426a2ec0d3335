import assert from "node:assert/strict";
import { test } from "node:test";
import { waitUntil, withPool } from "../../test/jobs.js";
import { backoffDelay, DEFAULT_BACKOFF } from "./backoff.js";
import { createQueue } from "./create-queue.js";
import { defineTask } from "./define-task.js";

const boom = new Error("boom");

test("exponential backoff doubles from its base, stays within [ceiling/2, ceiling] with jitter, and caps", () => {
  const exp = { type: "exponential", baseMs: 1_000, maxMs: 60_000 } as const;
  assert.equal(backoffDelay({ ...exp, jitter: false }, 1, boom), 1_000);
  assert.equal(backoffDelay({ ...exp, jitter: false }, 4, boom), 8_000);
  assert.equal(backoffDelay({ ...exp, jitter: false }, 30, boom), 60_000);
  assert.equal(
    backoffDelay(exp, 4, boom, () => 0),
    4_000,
  );
  assert.equal(
    backoffDelay(exp, 4, boom, () => 1),
    8_000,
  );
  for (let i = 0; i < 100; i++) {
    const ms = backoffDelay(DEFAULT_BACKOFF, 3, boom);
    assert.ok(ms >= 2_000 && ms <= 4_000, String(ms));
  }
  assert.equal(
    backoffDelay(DEFAULT_BACKOFF, 1_000, boom, () => 1),
    3_600_000,
  );
});

test("fixed and custom backoffs; nonsense becomes 0", () => {
  assert.equal(backoffDelay({ type: "fixed", delayMs: 250 }, 7, boom), 250);
  assert.equal(
    backoffDelay((attempt, error) => attempt * 100 + error.message.length, 3, boom),
    304,
  );
  assert.equal(
    backoffDelay(() => Number.NaN, 1, boom),
    0,
  );
  assert.equal(
    backoffDelay(() => -5, 1, boom),
    0,
  );
});

test("a failed attempt waits out its backoff as a scheduled job (per-job backoff wins over the task's)", async () => {
  await withPool(async (pool) => {
    const fails = defineTask(
      "fails",
      async () => {
        throw new Error("later");
      },
      { backoff: { type: "fixed", delayMs: 1 } },
    );
    const queue = createQueue({ pool, tasks: [fails] });
    const { id } = await queue.add(fails, {}, { backoff: { type: "fixed", delayMs: 3_600_000 } });
    const worker = queue.work({ pollIntervalMs: 50, heartbeatIntervalMs: 100 });
    await waitUntil(
      async () =>
        (await queue.get(id))?.attempts === 1 && (await queue.get(id))?.state === "scheduled",
      "scheduled retry",
    );
    await worker.stop();
    const { rows } = await pool.query<{ wait: number }>(
      "select extract(epoch from run_at - now())::float8 as wait from opskit.jobs where id = $1",
      [id],
    );
    assert.ok(rows[0]!.wait > 3_500 && rows[0]!.wait <= 3_600, String(rows[0]!.wait));
  });
});
