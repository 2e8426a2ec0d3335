import assert from "node:assert/strict";
import { test } from "node:test";
import { smokeQueries, stageInvariant, withBackupSource } from "../../test/backup.js";
import { queryRows } from "../../test/helpers.js";
import { createScratchDatabase, digestDatabase } from "../db/index.js";
import { isOpskitError } from "../errors.js";
import { drillRestored } from "./drill-restored.js";

test("a drill of a provider's restore passes on a good copy and fails on a copy missing one row, leaving the source untouched", async () => {
  await withBackupSource(async ({ url }) => {
    const before = await digestDatabase(url);
    const copy = await createScratchDatabase(url, { copy: true, prefix: "t_provider" });
    try {
      const restoredTo = new Date();
      const good = await drillRestored({
        restoredUrl: copy.url,
        sourceUrl: url,
        installAmcheck: true,
        invariants: [stageInvariant],
        smoke: smokeQueries,
        restoredTo,
      });
      assert.equal(good.ok, true, JSON.stringify(good.checks));
      assert.equal(good.kind, "restored");
      assert.ok(good.rpo_ms! >= 0);
      assert.equal(good.rto_ms, null, "no RTO without the restore's start time");
      await queryRows(copy.url, "delete from stage_changes where id = 7");
      const bad = await drillRestored({ restoredUrl: copy.url, sourceUrl: url });
      assert.equal(bad.ok, false);
      const failed = bad.checks.filter((c) => !c.ok);
      assert.deepEqual(
        failed.map((c) => c.name),
        ["row counts"],
      );
      assert.match(failed[0]!.detail, /public\.stage_changes has 99 rows, expected 100/);
    } finally {
      await copy.drop();
    }
    assert.deepEqual(await digestDatabase(url), before);
  });
});

test("a drill of a restore refuses a 'restored' database that is the source itself", async () => {
  await withBackupSource(async ({ url }) => {
    await assert.rejects(
      drillRestored({ restoredUrl: url, sourceUrl: url }),
      (e) => isOpskitError(e) && e.code === "BACKUP_TARGET_REFUSED",
    );
  });
});
