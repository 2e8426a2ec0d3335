import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { migrationDirs, queryRows } from "../../test/helpers.js";
import { after, test } from "node:test";
import pg from "pg";
import { createTestDatabase } from "../../test/db.js";
import { migrate, migrationStatus } from "./index.js";

const db = await createTestDatabase({ empty: true });
const dirs = await migrationDirs();
after(async () => {
  await db.drop();
  await dirs.remove();
});

test("applies files in name order, records history, and is idempotent", async () => {
  const d = await dirs.dir("ordered", {
    "0002_b.sql": "alter table a add column b int;",
    "0001_a.sql": "create table a (id int);",
  });
  const sources = [{ source: "app", dir: d }];
  const first = await migrate({ connectionString: db.url, sources });
  assert.equal(first.error, undefined);
  assert.deepEqual(
    first.results.map((r) => r.name),
    ["0001_a.sql", "0002_b.sql"],
  );
  const second = await migrate({ connectionString: db.url, sources });
  assert.deepEqual(second, { error: undefined, results: [] });
  const status = await migrationStatus({ connectionString: db.url, sources });
  assert.deepEqual(
    status.files.map((f) => f.state),
    ["applied", "applied"],
  );
});

test("a failing migration leaves the database as it was and names file, line and SQLSTATE", async () => {
  const d = await dirs.dir("failing", {
    "0001_ok.sql": "create table ok_t (id int);",
    "0002_bad.sql": "create table half_t (id int);\n\nupdate missing_table set x = 1;\n",
  });
  const { error, results } = await migrate({
    connectionString: db.url,
    sources: [{ source: "failing", dir: d }],
  });
  assert.equal(error?.code, "MIGRATION_FAILED");
  assert.equal(error?.file, "0002_bad.sql");
  assert.equal(error?.line, 3);
  assert.equal(error?.sqlstate, "42P01");
  assert.deepEqual(
    results.map((r) => r.status),
    ["applied", "failed"],
  );
  const tables = await queryRows<{ t: string | null }>(
    db.url,
    "select to_regclass('half_t')::text as t",
  );
  assert.equal(tables[0]?.t, null, "the failed file's first statement was rolled back");
  const history = await queryRows<{ name: string }>(
    db.url,
    "select name from opskit.schema_migrations where source = 'failing'",
  );
  assert.deepEqual(
    history.map((h) => h.name),
    ["0001_ok.sql"],
  );
});

test("a changed applied file blocks the run before anything is applied", async () => {
  const d = await dirs.dir("changed", { "0001_x.sql": "create table x_t (id int);" });
  const sources = [{ source: "changed", dir: d }];
  assert.equal((await migrate({ connectionString: db.url, sources })).error, undefined);
  await writeFile(path.join(d, "0001_x.sql"), "create table x_t (id bigint);");
  await writeFile(path.join(d, "0002_y.sql"), "create table y_t (id int);");
  const { error, results } = await migrate({ connectionString: db.url, sources });
  assert.equal(error?.code, "MIGRATION_CHECKSUM_MISMATCH");
  assert.equal(error?.file, "0001_x.sql");
  assert.deepEqual(results, []);
  assert.equal(
    (await queryRows<{ t: string | null }>(db.url, "select to_regclass('y_t')::text as t"))[0]?.t,
    null,
  );
});

test("CRLF and a BOM do not change the checksum; Prisma's folder layout is read", async () => {
  const d = await dirs.dir("prisma", {
    "20240101_init/migration.sql": "create table p_t (id int);\n",
  });
  const sources = [{ source: "prisma", dir: d }];
  assert.equal(
    (await migrate({ connectionString: db.url, sources })).results[0]?.name,
    "20240101_init",
  );
  await writeFile(
    path.join(d, "20240101_init/migration.sql"),
    "\uFEFFcreate table p_t (id int);\r\n",
  );
  const status = await migrationStatus({ connectionString: db.url, sources });
  assert.equal(status.files[0]?.state, "applied");
});

test("a second runner waits for the lock, is told who holds it, and gives up at the limit", async () => {
  const d = await dirs.dir("locked", { "0001_l.sql": "create table l_t (id int);" });
  const holder = new pg.Client({ connectionString: db.url, application_name: "other-runner" });
  await holder.connect();
  try {
    const key = `('x' || substr(md5(current_database() || '.' || '"opskit"."schema_migrations"'), 1, 16))::bit(64)::bigint`;
    await holder.query(`select pg_advisory_lock(${key})`);
    const waits: (string | undefined)[] = [];
    const { error } = await migrate({
      connectionString: db.url,
      sources: [{ source: "locked", dir: d }],
      lockWaitMs: 300,
      onLockWait: (h) => waits.push(h?.application_name),
    });
    assert.equal(error?.code, "MIGRATION_LOCK_TIMEOUT");
    assert.match(error?.message ?? "", /other-runner/);
    assert.ok(waits.length > 0 && waits.every((w) => w === "other-runner"));
  } finally {
    await holder.end();
  }
  const { error } = await migrate({
    connectionString: db.url,
    sources: [{ source: "locked", dir: d }],
  });
  assert.equal(error, undefined, "a lock released by its session's end is free again");
});
