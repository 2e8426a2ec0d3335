import assert from "node:assert/strict";
import { open } from "node:fs/promises";
import path from "node:path";
import { test } from "node:test";
import { withBackupSource } from "../../test/backup.js";
import { queryRows } from "../../test/helpers.js";
import { createBackup } from "./create-backup.js";
import { drillBackup } from "./drill-backup.js";
import { findBackup, listBackups } from "./list-backups.js";
import { pruneBackups } from "./prune-backups.js";
import { verifyBackup } from "./verify-backup.js";

const failed = (checks: { name: string; ok: boolean }[]) =>
  checks.filter((c) => !c.ok).map((c) => c.name);

test("a backup's manifest holds the snapshot's LSN, system identifier, migration history and exact row counts, and verifies clean", async () => {
  await withBackupSource(async ({ url, dir }) => {
    const m = await createBackup({ databaseUrl: url, directory: dir });
    const [server] = await queryRows<{ id: string; newest: string }>(
      url,
      `select system_identifier::text as id,
              (select source || '/' || name from opskit.schema_migrations order by id desc limit 1) as newest
         from pg_control_system()`,
    );
    assert.equal(m.systemIdentifier, server!.id);
    assert.equal(m.migrations.newest, server!.newest);
    assert.match(m.lsn, /^[0-9A-F]+\/[0-9A-F]+$/);
    assert.equal(m.tables["public.orders"], 200);
    assert.equal(m.tables["public.stage_changes"], 100);
    assert.ok("opskit.schema_migrations" in m.tables, "the toolkit's tables are counted too");
    assert.ok(Date.parse(m.startedAt) <= Date.parse(m.snapshotAt));
    assert.deepEqual(failed(await verifyBackup(await findBackup(dir))), []);
  });
});

test("a byte flipped in the dump fails verify and the drill", async () => {
  await withBackupSource(async ({ url, dir, scratchRoot }) => {
    const m = await createBackup({ databaseUrl: url, directory: dir });
    const file = await open(path.join(dir, m.id, "database.pgdump"), "r+");
    const middle = Math.floor(m.files[0]!.bytes / 2);
    const byte = Buffer.alloc(1);
    await file.read(byte, 0, 1, middle);
    await file.write(Buffer.from([byte[0]! ^ 0xff]), 0, 1, middle);
    await file.close();
    assert.ok(
      failed(await verifyBackup(await findBackup(dir))).includes("checksum database.pgdump"),
    );
    const receipt = await drillBackup({ directory: dir, scratchRoot });
    assert.equal(receipt.ok, false);
    assert.ok(failed(receipt.checks).includes("checksum database.pgdump"));
    assert.equal(receipt.rto_ms, null, "no RTO for a restore that did not pass");
  });
});

test("a dump that left a table out fails verify's listing and the drill's row counts", async () => {
  await withBackupSource(async ({ url, dir, scratchRoot }) => {
    await createBackup({
      databaseUrl: url,
      directory: dir,
      extraDumpArgs: ["--exclude-table-data=public.stage_changes"],
    });
    const verify = await verifyBackup(await findBackup(dir));
    assert.deepEqual(failed(verify), ["pg_restore --list"]);
    assert.match(verify.find((c) => !c.ok)!.detail, /public\.stage_changes/);
    const receipt = await drillBackup({ directory: dir, scratchRoot });
    assert.deepEqual(failed(receipt.checks), ["pg_restore --list", "row counts"]);
    assert.match(
      receipt.checks.find((c) => c.name === "row counts")!.detail,
      /public\.stage_changes has 0 rows, expected 100/,
    );
  });
});

test("prune keeps the newest N, drops what is older than the age limit, and never the newest", async () => {
  await withBackupSource(async ({ url, dir }) => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++)
      ids.push((await createBackup({ databaseUrl: url, directory: dir })).id);
    const newestFirst = [...ids].reverse();
    assert.deepEqual(
      (await listBackups(dir)).map((b) => b.id),
      newestFirst,
    );
    const dry = await pruneBackups(dir, { keep: 2, dryRun: true });
    assert.deepEqual(dry.removed, [newestFirst[2]]);
    assert.equal((await listBackups(dir)).length, 3, "a dry run removes nothing");
    const later = new Date(Date.now() + 86_400_000);
    const aged = await pruneBackups(dir, { keep: 10, maxAgeMs: 3_600_000, now: later });
    assert.deepEqual(aged.kept, [newestFirst[0]]);
    assert.deepEqual(
      (await listBackups(dir)).map((b) => b.id),
      [newestFirst[0]],
    );
  });
});
