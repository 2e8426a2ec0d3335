import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { captureOutput, migrationDirs, queryRows } from "../../test/helpers.js";
import { after, test } from "node:test";
import { createTestDatabase } from "../../test/db.js";
import { runCli } from "../cli/index.js";
import { acceptChecksum, migrate, migrationStatus } from "./index.js";

const db = await createTestDatabase({ empty: true });
const dirs = await migrationDirs();
after(async () => {
  await db.drop();
  await dirs.remove();
});

test("an unapplied file that sorts before an applied one is refused, then allowed explicitly", async () => {
  const d = await dirs.dir("order", { "0002_b.sql": "create table ord_b (id int);" });
  const sources = [{ source: "order", dir: d }];
  assert.equal((await migrate({ connectionString: db.url, sources })).error, undefined);
  await writeFile(path.join(d, "0001_a.sql"), "create table ord_a (id int);");
  await writeFile(path.join(d, "0003_c.sql"), "create table ord_c (id int);");
  const status = await migrationStatus({ connectionString: db.url, sources });
  assert.deepEqual(
    status.files.map((f) => [f.name, f.state]),
    [
      ["0001_a.sql", "out_of_order"],
      ["0002_b.sql", "applied"],
      ["0003_c.sql", "pending"],
    ],
  );
  const refused = await migrate({ connectionString: db.url, sources });
  assert.equal(refused.error?.code, "MIGRATION_OUT_OF_ORDER");
  assert.equal(refused.error?.file, "0001_a.sql");
  assert.deepEqual(refused.results, [], "nothing is applied, not even the in-order 0003");
  assert.deepEqual(
    await queryRows(db.url, "select 1 from pg_class where relname in ('ord_a', 'ord_c')"),
    [],
  );
  const allowed = await migrate({ connectionString: db.url, sources, allowOutOfOrder: true });
  assert.equal(allowed.error, undefined);
  assert.deepEqual(
    allowed.results.map((r) => r.name),
    ["0001_a.sql", "0003_c.sql"],
  );
});

test("two unapplied files with one version prefix are refused; the CLI status says so", async () => {
  const d = await dirs.dir("dupes", {
    "20240101_create_type.sql": "create type dupe_mood as enum ('ok');",
    "20240101_add_column.sql": "create table dupe_t (m dupe_mood);",
  });
  const sources = [{ source: "dupes", dir: d }];
  const { error, results } = await migrate({ connectionString: db.url, sources });
  assert.equal(error?.code, "MIGRATION_DUPLICATE_VERSION");
  assert.match(
    error?.message ?? "",
    /20240101_add_column\.sql and 20240101_create_type\.sql share the version 20240101/,
  );
  assert.deepEqual(results, []);
  const status = await migrationStatus({ connectionString: db.url, sources });
  assert.deepEqual(status.duplicates, [
    {
      source: "dupes",
      version: "20240101",
      names: ["20240101_add_column.sql", "20240101_create_type.sql"],
    },
  ]);
});

test("a changed applied file blocks; accept records who and why in the audit log and unblocks", async () => {
  const d = await dirs.dir("accept", { "0001_x.sql": "create table acc_x (id int);\n" });
  const sources = [{ source: "accept", dir: d }];
  assert.equal((await migrate({ connectionString: db.url, sources })).error, undefined);
  await writeFile(
    path.join(d, "0001_x.sql"),
    "-- the orders table\ncreate table acc_x (id int);\n",
  );
  assert.equal(
    (await migrate({ connectionString: db.url, sources })).error?.code,
    "MIGRATION_CHECKSUM_MISMATCH",
  );
  await assert.rejects(
    acceptChecksum({ connectionString: db.url, sources, name: "0001_x.sql", reason: " " }),
    /reason/,
  );
  const accepted = await acceptChecksum({
    connectionString: db.url,
    sources,
    name: "0001_x.sql",
    reason: "added a comment",
    actor: "alice",
  });
  assert.notEqual(accepted.previous, accepted.accepted);
  const audit = await queryRows<{
    actor: string;
    action: string;
    target: string;
    params: { reason: string; previous: string };
  }>(
    db.url,
    "select actor, action, target, params from opskit.audit_log where action = 'migrate.accept_checksum'",
  );
  assert.equal(audit.length, 1);
  assert.equal(audit[0]?.actor, "alice");
  assert.equal(audit[0]?.target, "accept/0001_x.sql");
  assert.equal(audit[0]?.params.reason, "added a comment");
  assert.equal(audit[0]?.params.previous, accepted.previous);
  assert.equal((await migrate({ connectionString: db.url, sources })).error, undefined);
  await assert.rejects(
    acceptChecksum({ connectionString: db.url, sources, name: "0001_x.sql", reason: "again" }),
    /is applied, not changed/,
  );
});

test("migrate status (CLI) lists states, warns on more than one pending, and exits 1 when a run would be refused", async () => {
  const d = await dirs.dir("cli", { "0001_a.sql": "create table cli_a (id int);" });
  const args = ["--dir", d, "--database-url", db.url];
  assert.equal(await runCli(["migrate", "up", ...args], captureOutput().io), 0);
  await writeFile(path.join(d, "0002_b.sql"), "create table cli_b (id int);");
  await writeFile(path.join(d, "0003_c.sql"), "create table cli_c (id int);");
  const ok = captureOutput();
  assert.equal(await runCli(["migrate", "status", ...args], ok.io), 0);
  assert.match(ok.out.join("\n"), /applied\s+app\/0001_a\.sql\s+\S+ by \S+@\S+/);
  assert.match(ok.out.join("\n"), /pending\s+app\/0002_b\.sql/);
  assert.match(ok.err.join("\n"), /2 migrations pending: deploy them one at a time/);
  await writeFile(path.join(d, "0001_a.sql"), "create table cli_a (id bigint);");
  const json = captureOutput();
  assert.equal(await runCli(["migrate", "status", ...args, "--json"], json.io), 1);
  const report = JSON.parse(json.out[0] ?? "") as {
    files: { name: string; state: string }[];
    warnings: string[];
  };
  assert.deepEqual(
    report.files
      .filter((f) => f.name.startsWith("000") && !f.name.includes("opskit"))
      .map((f) => f.state)
      .slice(-3),
    ["changed", "pending", "pending"],
  );
  const up = captureOutput();
  assert.equal(await runCli(["migrate", "up", ...args], up.io), 1);
  assert.match(up.err.join("\n"), /0001_a\.sql was changed after it was applied/);
});
