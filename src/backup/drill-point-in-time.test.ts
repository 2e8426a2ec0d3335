import assert from "node:assert/strict";
import { chmod, chown, mkdir, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { captureOutput, queryRows } from "../../test/helpers.js";
import { runCli } from "../cli/index.js";
import { digestDatabase, startEmbeddedPostgres } from "../db/index.js";
import { drillPointInTime, recoveryWindow } from "./drill-point-in-time.js";
import { createPgBackRest, writePgBackRestConfig } from "./pgbackrest.js";
import { runAsPostgres } from "./run-as-postgres.js";

test("pgBackRest: stanza, check, full and incremental backups with WAL archiving; a drill restores to a time between two commits and holds exactly the rows committed before it", async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), "opskit-pitr-"));
  await chmod(dir, 0o755);
  const socketDir = path.join(dir, "socket");
  await mkdir(socketDir);
  const owner = runAsPostgres();
  if (owner.uid !== undefined) await chown(socketDir, owner.uid, owner.gid!);
  const configFile = path.join(dir, "pgbackrest", "pgbackrest.conf");
  const pbr = createPgBackRest({ stanza: "opskit", configFile, password: "opskit-embedded" });
  const dataDir = path.join(dir, "source");
  const server = await startEmbeddedPostgres({
    dataDir,
    port: 59_000 + Math.floor(Math.random() * 900),
    persistent: false,
    settings: {
      wal_level: "replica",
      archive_mode: "on",
      archive_command: pbr.archiveCommand,
      unix_socket_directories: socketDir,
    },
  });
  try {
    await writePgBackRestConfig({
      directory: path.dirname(configFile),
      stanza: "opskit",
      pgDataDir: dataDir,
      pgPort: server.port,
      pgSocketDir: socketDir,
    });
    const url = server.url;
    await pbr.stanzaCreate();
    await pbr.check();
    await queryRows(url, "create table ticks (id int primary key, at timestamptz not null)");
    await pbr.backup("full");
    const tick = async (id: number) =>
      (
        await queryRows<{ at: Date }>(
          url,
          "insert into ticks values ($1, clock_timestamp()) returning at",
          [id],
        )
      )[0]!.at;
    const at: Date[] = [];
    for (let id = 1; id <= 4; id++) at.push(await tick(id));
    await pbr.backup("incr");
    // Commits after the incremental backup: the restore must replay archived WAL to reach them.
    for (let id = 5; id <= 8; id++) {
      at.push(await tick(id));
      await new Promise((r) => setTimeout(r, 150)); // spacing between commits, so a target can fall between two
    }
    const info = await pbr.info();
    assert.equal(info.status.code, 0, info.status.message);
    assert.deepEqual(
      info.backups.map((b) => b.type),
      ["full", "incr"],
    );
    assert.ok(info.archive.max);
    const { io, out } = captureOutput();
    const code = await runCli(
      ["backup", "pitr-info", "--stanza", "opskit", "--config", configFile, "--json"],
      io,
    );
    assert.equal(code, 0);
    assert.equal((JSON.parse(out.join("")) as { backups: unknown[] }).backups.length, 2);
    const before = await digestDatabase(url);
    // Between the 6th and the 7th commit: exactly six rows.
    const target = new Date(at[5]!.getTime() + 60);
    const receipt = await drillPointInTime({
      pgbackrest: pbr,
      sourceUrl: url,
      target,
      scratchRoot: path.join(dir, "scratch"),
      invariants: [
        {
          name: "exactly the six ticks committed before the target",
          sql: "select count(*) from ticks having count(*) <> 6 or max(id) <> 6",
        },
      ],
      smoke: [{ name: "write a tick", sql: "insert into ticks values (100, now())" }],
    });
    assert.equal(receipt.ok, true, JSON.stringify(receipt.checks, null, 1));
    assert.equal(receipt.kind, "pitr");
    assert.ok(receipt.rto_ms! > 0);
    // The newest restored transaction is at or before the target.
    assert.ok(receipt.rpo_ms! >= Date.parse(receipt.startedAt) - target.getTime());
    assert.deepEqual(
      await digestDatabase(url),
      before,
      "the source's data and schema are untouched",
    );
  } finally {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

test("the recovery window runs from the end of the oldest backup (rounded up to the second) to the archived end, and is refused empty", () => {
  const backups = [
    { stoppedAt: new Date("2026-12-04T03:00:10Z") },
    { stoppedAt: new Date("2026-12-04T09:00:00Z") },
  ];
  assert.deepEqual(recoveryWindow(backups, new Date("2026-12-04T12:00:00Z")), {
    from: new Date("2026-12-04T03:00:11Z"),
    to: new Date("2026-12-04T12:00:00Z"),
  });
  assert.throws(() => recoveryWindow(backups, new Date("2026-12-04T03:00:11Z")), /window is empty/);
  assert.throws(() => recoveryWindow([], new Date()), /no backup yet/);
});
