import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, test } from "node:test";
import { createTestDatabase } from "../../test/db.js";
import { captureOutput, migrationDirs, queryRows } from "../../test/helpers.js";
import { runCli } from "../cli/index.js";
import { migrate, migrationStatus } from "./index.js";

const dirs = await migrationDirs();
after(() => dirs.remove());

const PRISMA_DDL = `CREATE TABLE _prisma_migrations (
    id VARCHAR(36) PRIMARY KEY NOT NULL, checksum VARCHAR(64) NOT NULL, finished_at TIMESTAMPTZ,
    migration_name VARCHAR(255) NOT NULL, logs TEXT, rolled_back_at TIMESTAMPTZ,
    started_at TIMESTAMPTZ NOT NULL DEFAULT now(), applied_steps_count INTEGER NOT NULL DEFAULT 0)`;

test("resolve --rolled-back marks the failed Prisma row rolled back, audited; the next up runs it", async () => {
  const db = await createTestDatabase({ empty: true });
  try {
    const dir = await dirs.dir("resolve", {
      "migration_lock.toml": "",
      "20240312a_add_orders/migration.sql": "CREATE TABLE orders (id int);\n",
    });
    const args = ["--dir", dir, "--database-url", db.url];
    assert.equal(await runCli(["migrate", "up", ...args], captureOutput().io), 0);
    // Prisma's deploy of the next folder died part-way: a row neither finished nor rolled back.
    await dirs.dir("resolve", {
      "20240312b_backfill_orders/migration.sql": "ALTER TABLE orders ADD COLUMN total int;\n",
    });
    await queryRows(
      db.url,
      `insert into _prisma_migrations (id, checksum, migration_name, logs, applied_steps_count)
       values ($1, 'x', '20240312b_backfill_orders', 'error', 0)`,
      [randomUUID()],
    );
    const refused = captureOutput();
    assert.equal(await runCli(["migrate", "up", ...args], refused.io), 1);
    assert.match(
      refused.err.join("\n"),
      /opskit migrate resolve --rolled-back 20240312b_backfill_orders/,
    );

    const wrong = captureOutput();
    assert.equal(
      await runCli(
        ["migrate", "resolve", "--rolled-back", "20240312a_add_orders", ...args],
        wrong.io,
      ),
      1,
    );
    assert.match(wrong.err.join("\n"), /is applied: only a failed, partial migration/);

    const resolved = captureOutput();
    assert.equal(
      await runCli(
        ["migrate", "resolve", "--rolled-back", "20240312b_backfill_orders", ...args, "--json"],
        resolved.io,
      ),
      0,
    );
    assert.deepEqual(JSON.parse(resolved.out[0] ?? ""), {
      source: "app",
      name: "20240312b_backfill_orders",
      as: "rolled-back",
      was: "failed",
      native: '"public"."_prisma_migrations"',
    });
    const audit = await queryRows<{ target: string; result: string }>(
      db.url,
      "select target, result from opskit.audit_log where action = 'migrate.resolve'",
    );
    assert.deepEqual(audit, [{ target: "app/20240312b_backfill_orders", result: "rolled-back" }]);
    assert.equal(await runCli(["migrate", "up", ...args], captureOutput().io), 0);
    const rows = await queryRows<{ rolled_back: boolean; finished: boolean }>(
      db.url,
      `select rolled_back_at is not null as rolled_back, finished_at is not null as finished
         from _prisma_migrations where migration_name = '20240312b_backfill_orders' order by started_at`,
    );
    assert.deepEqual(rows, [
      { rolled_back: true, finished: false },
      { rolled_back: false, finished: true },
    ]);
  } finally {
    await db.drop();
  }
});

test("resolve --applied records a migration finished by hand, in both histories", async () => {
  const db = await createTestDatabase({ empty: true });
  try {
    await queryRows(db.url, PRISMA_DDL);
    const dir = await dirs.dir("applied", {
      "20240312a_add_orders/migration.sql": "CREATE TABLE orders (id int);\n",
    });
    await queryRows(db.url, "CREATE TABLE orders (id int)");
    await queryRows(
      db.url,
      `insert into _prisma_migrations (id, checksum, migration_name, applied_steps_count)
       values ($1, 'x', '20240312a_add_orders', 0)`,
      [randomUUID()],
    );
    const args = ["--dir", dir, "--database-url", db.url];
    assert.equal(
      await runCli(
        ["migrate", "resolve", "--applied", "20240312a_add_orders", ...args],
        captureOutput().io,
      ),
      0,
    );
    const status = await migrationStatus({
      connectionString: db.url,
      sources: [{ source: "app", dir }],
    });
    assert.equal(status.files[0]?.state, "applied");
    assert.deepEqual(
      await queryRows(db.url, "select name from opskit.schema_migrations where source = 'app'"),
      [{ name: "20240312a_add_orders" }],
    );
  } finally {
    await db.drop();
  }
});

test("resolve --rolled-back of an opskit file stopped part-way restarts it from its first statement", async () => {
  const db = await createTestDatabase({ empty: true });
  try {
    const dir = await dirs.dir("partial", {
      "0001_t.sql": "create table pt (id int, v int);",
      "0002_idx.sql":
        "-- opskit:no-transaction\ncreate index concurrently pt_id on pt (id);\ncreate index concurrently pt_v on pt (v, nosuch);\n",
    });
    const sources = [{ source: "app", dir }];
    assert.equal(
      (await migrate({ connectionString: db.url, sources })).error?.code,
      "MIGRATION_FAILED",
    );
    const before = await migrationStatus({ connectionString: db.url, sources });
    assert.equal(before.files[1]?.state, "partial");
    await queryRows(db.url, "drop index pt_id");
    const out = captureOutput();
    assert.equal(
      await runCli(
        [
          "migrate",
          "resolve",
          "--rolled-back",
          "0002_idx.sql",
          "--dir",
          dir,
          "--database-url",
          db.url,
        ],
        out.io,
      ),
      0,
    );
    const after = await migrationStatus({ connectionString: db.url, sources });
    assert.equal(after.files[1]?.state, "pending");
  } finally {
    await db.drop();
  }
});

test("baseline records an existing schema that matches the history, and refuses one that differs", async () => {
  const db = await createTestDatabase({ empty: true });
  try {
    const dir = await dirs.dir("baseline", {
      "0001_orders.sql":
        "create type order_state as enum ('new', 'paid');\ncreate table orders (id bigint primary key, state order_state not null default 'new', note text);\ncreate index orders_state on orders (state);",
      "0002_fn.sql":
        "create function order_count() returns bigint language sql stable as $$ select count(*) from orders $$;",
    });
    const args = ["--dir", dir, "--database-url", db.url];
    // The schema as it exists, made by hand long ago, but with a column the history does not have.
    await queryRows(
      db.url,
      "create type order_state as enum ('new', 'paid'); create table orders (id bigint primary key, state order_state not null default 'new', note text, legacy int); create index orders_state on orders (state); create function order_count() returns bigint language sql stable as $$ select count(*) from orders $$;",
    );
    const differs = captureOutput();
    assert.equal(await runCli(["migrate", "baseline", ...args, "--yes"], differs.io), 1);
    assert.deepEqual(differs.out, ["+ column public.orders.legacy integer"]);
    assert.match(differs.err.join("\n"), /nothing recorded/);
    const none = await queryRows(db.url, "select 1 from pg_namespace where nspname = 'opskit'");
    assert.deepEqual(none, [], "nothing recorded, not even the history table");

    await queryRows(db.url, "alter table orders drop column legacy");
    const compare = captureOutput();
    assert.equal(await runCli(["migrate", "baseline", ...args], compare.io), 0);
    assert.match(compare.out.join("\n"), /matches the history; run again with --yes/);
    const recorded = captureOutput();
    assert.equal(await runCli(["migrate", "baseline", ...args, "--yes", "--json"], recorded.io), 0);
    const report = JSON.parse(recorded.out[0] ?? "") as { recorded: { name: string }[] };
    assert.deepEqual(
      report.recorded.map((r) => r.name),
      ["0001_orders.sql", "0002_fn.sql"],
    );
    const audit = await queryRows<{ result: string }>(
      db.url,
      "select result from opskit.audit_log where action = 'migrate.baseline'",
    );
    assert.deepEqual(audit, [{ result: "recorded" }]);
    // opskit's own migrations are still to run; the service's are applied.
    const up = await migrate({
      connectionString: db.url,
      sources: [{ source: "app", dir }],
    });
    assert.deepEqual([up.error, up.results], [undefined, []]);
  } finally {
    await db.drop();
  }
});

test("baseline --force records despite a difference, keeping the reason and the difference", async () => {
  const db = await createTestDatabase({ empty: true });
  try {
    const dir = await dirs.dir("forced", { "0001_t.sql": "create table ft (id int not null);" });
    await queryRows(db.url, "create table ft (id int)");
    const out = captureOutput();
    assert.equal(
      await runCli(
        [
          "migrate",
          "baseline",
          "--dir",
          dir,
          "--database-url",
          db.url,
          "--yes",
          "--force",
          "nullable in prod since 2021, fixed in 0007",
        ],
        out.io,
      ),
      0,
    );
    assert.deepEqual(out.out.slice(0, 2), [
      "+ column public.ft.id integer",
      "- column public.ft.id integer not null",
    ]);
    const audit = await queryRows<{ params: { reason: string; differences: unknown[] } }>(
      db.url,
      "select params from opskit.audit_log where action = 'migrate.baseline'",
    );
    assert.equal(audit[0]?.params.reason, "nullable in prod since 2021, fixed in 0007");
    assert.equal(audit[0]?.params.differences.length, 2);
  } finally {
    await db.drop();
  }
});
