import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { test } from "node:test";
import { stageInvariant, withBackupSource } from "../../test/backup.js";
import { captureOutput, queryRows } from "../../test/helpers.js";
import { runCli } from "../cli/index.js";
import { createScratchDatabase } from "../db/index.js";

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const { io, out, err } = captureOutput();
  const code = await runCli(args, io);
  return { code, out: out.join("\n"), err: err.join("\n") };
}

test("opskit backup create, list, verify and drill --json: the drill prints ok, rto_ms, rpo_ms and checks, exit 0", async () => {
  await withBackupSource(async ({ url, dir }) => {
    const created = await cli(["backup", "create", "--database-url", url, "--to", dir, "--json"]);
    assert.equal(created.code, 0, created.err);
    const { id } = JSON.parse(created.out) as { id: string };
    const listed = await cli(["backup", "list", "--to", dir, "--json"]);
    assert.deepEqual(
      (JSON.parse(listed.out) as { backups: { id: string }[] }).backups.map((b) => b.id),
      [id],
    );
    const verified = await cli(["backup", "verify", "--to", dir, "--id", id, "--json"]);
    assert.equal(verified.code, 0, verified.out);
    const checks = path.join(dir, "checks.json");
    await writeFile(checks, JSON.stringify({ invariants: [stageInvariant] }));
    const drill = await cli([
      "backup",
      "drill",
      "--from",
      dir,
      "--database-url",
      url,
      "--checks",
      checks,
      "--json",
    ]);
    assert.equal(drill.code, 0, drill.out + drill.err);
    const receipt = JSON.parse(drill.out) as Record<string, unknown>;
    assert.deepEqual(Object.keys(receipt).slice(0, 4), ["ok", "rto_ms", "rpo_ms", "checks"]);
    assert.equal(receipt.ok, true);
    assert.equal(typeof receipt.rto_ms, "number");
    for (const c of receipt.checks as Record<string, unknown>[]) {
      assert.deepEqual(Object.keys(c).slice(0, 3), ["name", "ok", "detail"]);
    }
  });
});

test("opskit backup drill --restored-url exits 1 on a copy missing a row; a wrong call exits 2", async () => {
  await withBackupSource(async ({ url }) => {
    const copy = await createScratchDatabase(url, { copy: true, prefix: "t_cli_copy" });
    try {
      await queryRows(copy.url, "delete from orders where id = 1 and stage = 'Filling'");
      const drill = await cli([
        "backup",
        "drill",
        "--restored-url",
        copy.url,
        "--database-url",
        url,
        "--json",
      ]);
      assert.equal(drill.code, 1);
      const receipt = JSON.parse(drill.out) as {
        ok: boolean;
        checks: { name: string; ok: boolean }[];
      };
      assert.deepEqual(
        receipt.checks.filter((c) => !c.ok).map((c) => c.name),
        ["row counts"],
      );
    } finally {
      await copy.drop();
    }
    assert.equal((await cli(["backup", "drill", "--database-url", url])).code, 2);
    assert.equal((await cli(["backup", "prune", "--to", "/nonexistent", "--keep", "0"])).code, 2);
    assert.equal((await cli(["backup", "verify", "--to", "/nonexistent"])).code, 1);
  });
});
