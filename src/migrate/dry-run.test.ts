import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { migrationDirs } from "../../test/helpers.js";
import { after, test } from "node:test";
import pg from "pg";
import { createTestDatabase, type TestDatabase } from "../../test/db.js";
import { runCli } from "../cli/index.js";
import { dryRunMigrations, migrate } from "./index.js";
import { digestDatabase } from "../db/index.js";

const dirs = await migrationDirs();
const databases: TestDatabase[] = [];
after(async () => {
  for (const db of databases) await db.drop();
  await dirs.remove();
});

async function freshDb(): Promise<TestDatabase> {
  const db = await createTestDatabase();
  databases.push(db);
  return db;
}

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function seedBakery(url: string) {
  const base = await dirs.dir(`base-${path.basename(url)}`, {
    "0001_orders.sql": `
      create table customers (id bigserial primary key, email text);
      create table orders (id bigserial primary key, customer_id bigint, store text, total int, note text);
      insert into customers (email) select 'c' || i || '@x' from generate_series(1, 50) i;
      insert into orders (customer_id, store, total) select (i % 60) + 1, case when i % 10 = 0 then null else 's' end, i - 5 from generate_series(1, 200) i;
      insert into customers (email) values ('c1@x'), ('c2@x');`,
  });
  assert.equal(
    (await migrate({ connectionString: url, sources: [{ source: "app", dir: base }] })).error,
    undefined,
  );
  return base;
}

test("a passing dry-run reports locks, rewrites and durations, and leaves schema, data and sequences exactly as they were", async () => {
  const db = await freshDb();
  const base = await seedBakery(db.url);
  await writeFile(
    path.join(base, "0002_change.sql"),
    `insert into orders (customer_id, store, total) values (1, 's', 10);
     alter table orders add column created_at timestamptz default clock_timestamp();
     create index orders_store on orders (store);
     create type mood as enum ('ok');
     create function f() returns int language sql as 'select 1';`,
  );
  const before = await digestDatabase(db.url);
  const report = await dryRunMigrations({
    connectionString: db.url,
    sources: [{ source: "app", dir: base }],
  });
  assert.equal(report.error, undefined, report.error?.message);
  assert.equal(report.ok, true);
  assert.equal(report.mode, "rolled_back");
  const [file] = report.files;
  assert.equal(file?.name, "0002_change.sql");
  assert.equal(file?.status, "ok");
  assert.ok(
    file?.locks.some((l) => l.relation === "public.orders" && l.mode === "AccessExclusiveLock"),
    JSON.stringify(file?.locks),
  );
  assert.deepEqual(file?.rewrites, ["public.orders"]);
  assert.deepEqual(await digestDatabase(db.url), before);
});

test("the deploy-failing backfill fails the dry-run with file, line and SQLSTATE; the CLI's --json has them at the top", async () => {
  const db = await freshDb();
  const base = await seedBakery(db.url);
  await writeFile(path.join(base, "0002_ok.sql"), "alter table orders add column paid boolean;\n");
  await writeFile(
    path.join(base, "0003_backfill.sql"),
    "-- backfill the customer's email onto orders\nalter table orders add column email text;\n\nupdate orders o set email = c.email\n  from customers c join orders x on x.customer_id = o.customer_id\n where c.id = o.customer_id;\n",
  );
  await writeFile(path.join(base, "0004_later.sql"), "create table later (id int);\n");
  const before = await digestDatabase(db.url);
  const report = await dryRunMigrations({
    connectionString: db.url,
    sources: [{ source: "app", dir: base }],
  });
  assert.equal(report.ok, false);
  assert.deepEqual(
    report.files.map((f) => [f.name, f.status]),
    [
      ["0002_ok.sql", "ok"],
      ["0003_backfill.sql", "failed"],
      ["0004_later.sql", "not_run"],
    ],
  );
  assert.equal(report.error?.file, "0003_backfill.sql");
  assert.equal(report.error?.sqlstate, "42P01");
  assert.equal(report.error?.line, 5);
  assert.match(report.error?.detail ?? "", /invalid reference to FROM-clause entry for table "o"/);
  assert.deepEqual(await digestDatabase(db.url), before);

  const out: string[] = [];
  const code = await runCli(
    ["migrate", "dry-run", "--dir", base, "--database-url", db.url, "--json"],
    {
      out: (t) => void out.push(t),
      err: () => undefined,
    },
  );
  assert.equal(code, 1);
  const json = JSON.parse(out[0] ?? "") as { sqlstate: string; file: string; line: number };
  assert.deepEqual([json.file, json.line, json.sqlstate], ["0003_backfill.sql", 5, "42P01"]);
});

test("data prechecks count NULLs, duplicates, orphans, CHECK violations and rows under a new NOT NULL column", async () => {
  const db = await freshDb();
  const base = await seedBakery(db.url);
  await writeFile(
    path.join(base, "0002_constraints.sql"),
    `alter table orders alter column store set not null;
     alter table customers add constraint customers_email_key unique (email);
     alter table orders add constraint orders_customer_fk foreign key (customer_id) references customers (id);
     alter table orders add constraint orders_customer_fk2 foreign key (customer_id) references customers;
     alter table orders add constraint orders_total_positive check (total > 0 and note is distinct from 'x)');
     alter table orders add column region text not null;
     alter table orders add constraint later_checked check (total > 0) not valid;
     create table fresh (id int); alter table fresh alter column id set not null;`,
  );
  const report = await dryRunMigrations({
    connectionString: db.url,
    sources: [{ source: "app", dir: base }],
  });
  assert.equal(report.ok, false);
  assert.deepEqual(
    report.prechecks.map((p) => [p.kind, p.description, p.violations ?? p.skipped]),
    [
      ["not_null", "orders.store has no NULLs", 20],
      ["unique", "customers (email) has no duplicates", 2],
      ["foreign_key", "every orders (customer_id) has its row in customers", 24],
      ["foreign_key", "every orders (customer_id) has its row in customers", 24],
      ["check", "every orders row satisfies CHECK (total > 0 and note is distinct from 'x)')", 5],
      ["not_null_column", "orders is empty (new column region is NOT NULL without a default)", 200],
      [
        "not_null",
        "fresh.id has no NULLs",
        "the table or column does not exist yet (created by a pending migration)",
      ],
    ],
  );
});

test("a pending CREATE INDEX CONCURRENTLY is rehearsed on a scratch copy (template, or pg_dump when the target is in use)", async () => {
  const db = await freshDb();
  const base = await seedBakery(db.url);
  await writeFile(
    path.join(base, "0002_index.sql"),
    "create index concurrently orders_total on orders (total);\n",
  );
  const before = await digestDatabase(db.url);
  const idle = await dryRunMigrations({
    connectionString: db.url,
    sources: [{ source: "app", dir: base }],
  });
  assert.equal(idle.error, undefined, idle.error?.message);
  assert.equal(idle.mode, "clone");
  assert.equal(idle.copy, "template");
  assert.deepEqual(
    idle.files.map((f) => [f.name, f.status, f.transactional]),
    [["0002_index.sql", "ok", false]],
  );
  // Another session on the target: it cannot be a template, so the copy is made with pg_dump.
  const busy = await withClient(db.url, () =>
    dryRunMigrations({ connectionString: db.url, sources: [{ source: "app", dir: base }] }),
  );
  assert.equal(busy.error, undefined, busy.error?.message);
  assert.equal(busy.mode, "clone");
  assert.equal(busy.copy, "dump");
  assert.deepEqual(await digestDatabase(db.url), before);
  const scratch = await withClient(db.url, (c) =>
    c.query("select datname from pg_database where datname like 'opskit_dry_run_%'"),
  );
  assert.deepEqual(scratch.rows, [], "the scratch copies are dropped");
});
