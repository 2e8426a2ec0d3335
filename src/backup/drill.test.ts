import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { test } from "node:test";
import { smokeQueries, stageInvariant, withBackupSource } from "../../test/backup.js";
import { queryRows } from "../../test/helpers.js";
import { createScratchDatabase, digestDatabase } from "../db/index.js";
import { isOpskitError } from "../errors.js";
import { createBackup } from "./create-backup.js";
import { drillBackup } from "./drill-backup.js";
import { findBackup } from "./list-backups.js";
import { restoreBackup } from "./restore-backup.js";

test("a backup and its drill pass every check, write a receipt beside the backup, and leave the source exactly as it was", async () => {
  await withBackupSource(async ({ url, dir, scratchRoot }) => {
    const before = await digestDatabase(url);
    const m = await createBackup({ databaseUrl: url, directory: dir });
    const receipt = await drillBackup({
      directory: dir,
      sourceUrl: url,
      scratchRoot,
      invariants: [stageInvariant],
      smoke: smokeQueries,
    });
    assert.deepEqual(await digestDatabase(url), before);
    assert.equal(receipt.ok, true, JSON.stringify(receipt.checks));
    assert.deepEqual(
      receipt.checks.map((c) => c.name),
      [
        "checksum database.pgdump",
        "pg_restore --list",
        "restore",
        "pg_amcheck",
        "row counts",
        "migration history",
        `invariant ${stageInvariant.name}`,
        "smoke read orders",
        "smoke write an order",
      ],
    );
    assert.ok(receipt.rto_ms! > 0 && receipt.rpo_ms! >= 0);
    assert.ok(receipt.rpo_ms! >= Date.parse(receipt.startedAt) - Date.parse(m.snapshotAt));
    const written = JSON.parse(
      await readFile(path.join(dir, m.id, "drills", `${receipt.id}.json`), "utf8"),
    ) as { ok: boolean };
    assert.equal(written.ok, true);
    assert.match(
      await readFile(path.join(dir, m.id, "drills", `${receipt.id}.md`), "utf8"),
      /PASSED/,
    );
  });
});

test("a drill fails when the restored data violates a declared invariant", async () => {
  await withBackupSource(async ({ url, dir, scratchRoot }) => {
    await queryRows(url, "update orders set stage = 'Decorating' where id = 3");
    await createBackup({ databaseUrl: url, directory: dir });
    const receipt = await drillBackup({
      directory: dir,
      scratchRoot,
      invariants: [stageInvariant],
    });
    assert.equal(receipt.ok, false);
    const failedCheck = receipt.checks.filter((c) => !c.ok);
    assert.deepEqual(
      failedCheck.map((c) => c.name),
      [`invariant ${stageInvariant.name}`],
    );
    assert.match(failedCheck[0]!.detail, /1 violating rows, first: \{"id":3\}/);
  });
});

test("a restore refuses the source as its target, and a target holding tables unless told to replace them", async () => {
  await withBackupSource(async ({ url, dir }) => {
    await createBackup({ databaseUrl: url, directory: dir });
    const backup = await findBackup(dir);
    const before = await digestDatabase(url);
    await assert.rejects(
      restoreBackup({ backup, targetUrl: url }),
      (e) =>
        isOpskitError(e) && e.code === "BACKUP_TARGET_REFUSED" && /is the source/.test(e.message),
    );
    assert.deepEqual(await digestDatabase(url), before);
    const copy = await createScratchDatabase(url, { copy: true, prefix: "t_restore" });
    try {
      await assert.rejects(
        restoreBackup({ backup, targetUrl: copy.url, sourceUrl: url }),
        (e) =>
          isOpskitError(e) && e.code === "BACKUP_TARGET_REFUSED" && /user tables/.test(e.message),
      );
      await queryRows(copy.url, "insert into orders values (5000, 'Filling')");
      await restoreBackup({ backup, targetUrl: copy.url, sourceUrl: url, replace: true });
      const [row] = await queryRows<{ n: number }>(
        copy.url,
        "select count(*)::int as n from orders",
      );
      assert.equal(row!.n, 200);
    } finally {
      await copy.drop();
    }
  });
});
