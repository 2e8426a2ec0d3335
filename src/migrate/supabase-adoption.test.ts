import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { after, test } from "node:test";
import pg from "pg";
import { createTestDatabase } from "../../test/db.js";
import { migrationDirs, queryRows } from "../../test/helpers.js";
import { migrate, migrationStatus } from "./index.js";

const dirs = await migrationDirs();
after(() => dirs.remove());

const FILES = {
  "supabase/migrations/20240312093000_bakery_products.sql":
    "create table products (id bigint generated always as identity primary key, name text not null);\nalter table products enable row level security;\n",
  "supabase/migrations/20240312101500_bakery_orders.sql":
    "create table orders (id bigint generated always as identity primary key, product_id bigint references products);\nalter table orders enable row level security;\n",
};

/** What `supabase db push` leaves behind (the CLI's history table and rows). */
async function pushAsSupabase(url: string, dir: string, files: string[]): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`create schema if not exists supabase_migrations;
      create table if not exists supabase_migrations.schema_migrations (version text not null primary key);
      alter table supabase_migrations.schema_migrations add column if not exists statements text[];
      alter table supabase_migrations.schema_migrations add column if not exists name text;`);
    for (const file of files) {
      const sql = await readFile(path.join(dir, file), "utf8");
      await client.query(sql);
      const [, version, name] = /^(\d+)_(.*)\.sql$/.exec(file)!;
      await client.query(
        "insert into supabase_migrations.schema_migrations (version, name, statements) values ($1, $2, $3)",
        [version, name, sql.split(";\n").filter((s) => s.trim())],
      );
    }
  } finally {
    await client.end();
  }
}

test("a Supabase history is adopted: only the new file runs and the CLI's table gets its row", async () => {
  const db = await createTestDatabase({ empty: true });
  try {
    const root = await dirs.dir("bakery", FILES);
    const dir = path.join(root, "supabase", "migrations");
    await pushAsSupabase(
      db.url,
      dir,
      Object.keys(FILES).map((f) => path.basename(f)),
    );
    await writeFile(
      path.join(dir, "20240313080000_bakery_prices.sql"),
      "alter table products add column price_cents integer;\ncomment on column products.price_cents is 'in cents';\n",
    );
    const sources = [{ source: "app", dir }];
    const status = await migrationStatus({ connectionString: db.url, sources });
    assert.equal(status.sources[0]?.history, "supabase");
    assert.deepEqual(
      status.files.map((f) => f.state),
      ["applied", "applied", "pending"],
    );
    const { error, results } = await migrate({ connectionString: db.url, sources });
    assert.equal(error, undefined);
    assert.deepEqual(
      results.map((r) => r.name),
      ["20240313080000_bakery_prices.sql"],
    );
    const rows = await queryRows<{ version: string; name: string; statements: string[] }>(
      db.url,
      "select version, name, statements from supabase_migrations.schema_migrations order by version",
    );
    assert.deepEqual(rows.at(-1), {
      version: "20240313080000",
      name: "bakery_prices",
      statements: [
        "alter table products add column price_cents integer",
        "comment on column products.price_cents is 'in cents'",
      ],
    });
    const mirrored = await queryRows<{ name: string; applied_by: string }>(
      db.url,
      "select name, applied_by from opskit.schema_migrations where source = 'app' order by name",
    );
    assert.deepEqual(
      mirrored.map((m) => m.applied_by === "supabase"),
      [true, true, false],
    );
    // Supabase keeps no checksum: from adoption on, opskit's row holds one.
    await writeFile(
      path.join(dir, "20240312093000_bakery_products.sql"),
      "create table products (id bigint primary key);\n",
    );
    const changed = await migrate({ connectionString: db.url, sources });
    assert.equal(changed.error?.code, "MIGRATION_CHECKSUM_MISMATCH");
  } finally {
    await db.drop();
  }
});

test("a fresh database for a supabase/migrations directory gets the CLI's table, filled", async () => {
  const db = await createTestDatabase({ empty: true });
  try {
    const root = await dirs.dir("fresh-bakery", FILES);
    const dir = path.join(root, "supabase", "migrations");
    const { error } = await migrate({
      connectionString: db.url,
      sources: [{ source: "app", dir }],
    });
    assert.equal(error, undefined);
    const rows = await queryRows<{ version: string; name: string }>(
      db.url,
      "select version, name from supabase_migrations.schema_migrations order by version",
    );
    assert.deepEqual(rows, [
      { version: "20240312093000", name: "bakery_products" },
      { version: "20240312101500", name: "bakery_orders" },
    ]);
  } finally {
    await db.drop();
  }
});
