import assert from "node:assert/strict";
import { test } from "node:test";
import { withPool } from "../../test/jobs.js";
import { createLogger } from "../log/index.js";
import { startPayloadRetention } from "./payload-retention.js";
import { registerInboxSources } from "./sql/inbox-sources.js";

test("the retention service prunes each source by its own period, in bounded runs", async () => {
  await withPool(async (pool) => {
    await registerInboxSources(pool, [
      { name: "short", verifier: "github", retentionDays: 2, maxAttempts: 3 },
      { name: "kept", verifier: "github", retentionDays: undefined, maxAttempts: 3 },
    ]);
    await pool.query(
      `insert into opskit.inbox_events (source, dedupe_key, status, body, body_bytes, received_at)
       select s, s || g, 'processed', '\\x7b7d', 2, now() - interval '3 days'
         from unnest(array['short', 'kept']) s, generate_series(1, 5) g`,
    );
    const retention = startPayloadRetention({
      pool,
      log: createLogger({ level: "silent" }),
      batchSize: 2,
      maxBatches: 2,
    });
    try {
      const first = await retention.runOnce();
      assert.deepEqual(first, { pruned: { short: 4 }, batches: 2 }, "a run stops at maxBatches");
      const second = await retention.runOnce();
      assert.deepEqual(second.pruned, { short: 1 });
    } finally {
      await retention.stop();
    }
    const { rows } = await pool.query<{ source: string; pruned: number; total: number }>(
      `select source, count(*) filter (where body is null)::int as pruned, count(*)::int as total
         from opskit.inbox_events group by source order by source`,
    );
    assert.deepEqual(rows, [
      { source: "kept", pruned: 0, total: 5 },
      { source: "short", pruned: 5, total: 5 },
    ]);
  });
});
