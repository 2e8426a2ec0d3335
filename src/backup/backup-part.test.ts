import assert from "node:assert/strict";
import { test } from "node:test";
import { stageInvariant, withBackupSource } from "../../test/backup.js";
import { startService } from "../service/index.js";
import { waitUntil } from "../testing/index.js";
import { createBackupAdmin } from "./create-backup-admin.js";

test("a worker with OPSKIT_BACKUP_DIR runs backups and drills as jobs, records the receipt, and exports the backup gauges", async () => {
  await withBackupSource(async ({ url, dir, scratchRoot }) => {
    const service = await startService({
      name: "svc",
      version: "1.0.0",
      backup: () => ({ invariants: [stageInvariant], scratchRoot }),
      env: {
        DATABASE_URL: url,
        PORT: "0",
        HOST: "127.0.0.1",
        LOG_LEVEL: "silent",
        NODE_ENV: "test",
        OPSKIT_ROLE: "worker",
        OPSKIT_JOBS_POLL_INTERVAL: "50ms",
        OPSKIT_BACKUP_DIR: dir,
      },
    });
    try {
      const admin = createBackupAdmin({ db: service.pool, directory: dir });
      const metric = async (name: string) => {
        const text = await (await fetch(`${service.url}/metrics`)).text();
        return Number(new RegExp(`^${name} (\\S+)$`, "m").exec(text)?.[1]);
      };
      const backup = await service.queue.add("opskit.backup.create", {});
      await waitUntil(
        async () => (await service.queue.get(backup.id))?.state === "completed",
        "backup job done",
      );
      assert.equal((await admin.listBackups()).length, 1);
      const drill = await service.queue.add("opskit.backup.drill", {});
      await waitUntil(
        async () => (await service.queue.get(drill.id))?.state === "completed",
        "drill job done",
      );
      const [row] = await admin.listDrills();
      assert.equal(row?.ok, true, JSON.stringify(row?.receipt.checks));
      assert.ok(row.receipt.checks.some((c) => c.name === `invariant ${stageInvariant.name}`));
      const last = await admin.lastSuccessfulDrill();
      assert.equal(last?.id, row.id);
      // First scrape after the drill (the gauges are read at scrape time, then cached).
      const [backupAt, drillAt, rto, rpo] = await Promise.all(
        [
          "opskit_backup_last_success_timestamp_seconds",
          "opskit_backup_drill_last_success_timestamp_seconds",
          "opskit_backup_drill_rto_seconds",
          "opskit_backup_drill_rpo_seconds",
        ].map(metric),
      );
      const [newest] = await admin.listBackups();
      assert.equal(backupAt, Date.parse(newest!.manifest.finishedAt) / 1000);
      assert.equal(drillAt, row.finishedAt.getTime() / 1000);
      assert.equal(rto, row.rtoMs! / 1000);
      assert.equal(rpo, row.rpoMs! / 1000);
    } finally {
      await service.stop();
    }
  });
});
