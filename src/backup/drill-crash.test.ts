import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { once } from "node:events";
import path from "node:path";
import { test } from "node:test";
import { withBackupSource } from "../../test/backup.js";
import { waitUntil } from "../testing/index.js";
import { createBackup } from "./create-backup.js";
import { drillBackup } from "./drill-backup.js";
import { scratchServerRunning } from "./scratch-server.js";

const fixture = path.resolve(import.meta.dirname, "../../test/fixtures/backup-drill.ts");

async function scratchDirOf(child: ChildProcess): Promise<string> {
  let seen = "";
  for await (const chunk of child.stdout!) {
    seen += String(chunk);
    const match = /scratch (\S+)\n/.exec(seen);
    if (match) return match[1]!;
  }
  throw new Error(`the drill exited before its scratch server ran: ${seen}`);
}

test("a drill SIGKILLed mid-way leaves no scratch server running, and the next drill succeeds", async () => {
  await withBackupSource(async ({ url, dir, scratchRoot }) => {
    await createBackup({ databaseUrl: url, directory: dir });
    const child = spawn(process.execPath, ["--import", "tsx", fixture], {
      env: { ...process.env, BACKUP_DIR: dir, SCRATCH_ROOT: scratchRoot },
      stdio: ["ignore", "pipe", "inherit"],
    });
    const scratch = await scratchDirOf(child);
    assert.equal(await scratchServerRunning(scratch), true, "the scratch server runs mid-drill");
    const exited = once(child, "exit");
    child.kill("SIGKILL");
    await exited;
    await waitUntil(
      async () => !(await scratchServerRunning(scratch)) && !existsSync(scratch),
      "the killed drill's scratch server stopped and its folder removed",
      30_000,
    );
    const receipt = await drillBackup({ directory: dir, scratchRoot });
    assert.equal(receipt.ok, true, JSON.stringify(receipt.checks));
  });
});
