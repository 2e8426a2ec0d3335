import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { after, test } from "node:test";
import { captureOutput, migrationDirs } from "../../test/helpers.js";
import { runCli } from "../cli/index.js";
import { duplicateVersions, newMigration } from "./index.js";

const dirs = await migrationDirs();
after(() => dirs.remove());
// A fixed clock: the names depend on it, the assertions never on the real time.
const now = new Date("2024-03-12T09:30:00Z");

test("plain NNNN_name.sql: the next number, in the directory's width", async () => {
  const dir = await dirs.dir("plain", { "0001_a.sql": "", "0009_b.sql": "" });
  const created = await newMigration({ dir, name: "Add Orders!", now });
  assert.deepEqual(
    [created.name, created.scheme, created.folder],
    ["0010_add_orders.sql", "plain", false],
  );
  assert.equal(await readFile(created.path, "utf8"), "-- add orders\n");
  const empty = await dirs.dir("plain-empty", {});
  assert.equal((await newMigration({ dir: empty, name: "init", now })).name, "0001_init.sql");
});

test("dated YYYYMMDD[a-z]_name: the next letter of the day, a new day starts at a", async () => {
  const dir = await dirs.dir("dated", {
    "20240311a_add_orders/migration.sql": "",
    "20240312a_add_customers/migration.sql": "",
    "20240312b_backfill_orders/migration.sql": "",
    "migration_lock.toml": 'provider = "postgresql"\n',
  });
  const next = await newMigration({ dir, name: "split orders", now });
  assert.equal(next.name, "20240312c_split_orders");
  assert.equal(next.path, path.join(dir, "20240312c_split_orders", "migration.sql"));
  const tomorrow = await newMigration({ dir, name: "x", now: new Date("2024-03-13T01:00:00Z") });
  assert.equal(tomorrow.name, "20240313a_x");
  const files = await dirs.dir("dated-files", { "20240312_init.sql": "" });
  assert.equal((await newMigration({ dir: files, name: "more", now })).name, "20240312a_more.sql");
});

test("Prisma's timestamp folder and Supabase's timestamp file; a clock behind the newest moves past it", async () => {
  const prisma = await dirs.dir("prisma", { "migration_lock.toml": "" });
  const first = await newMigration({ dir: prisma, name: "init", now });
  assert.equal(first.path, path.join(prisma, "20240312093000_init", "migration.sql"));
  const second = await newMigration({ dir: prisma, name: "again", now });
  assert.equal(second.name, "20240312093001_again", "the same second: one after");
  const root = await dirs.dir("bakery", { "supabase/migrations/20250101000000_init.sql": "" });
  const supabase = path.join(root, "supabase", "migrations");
  const behind = await newMigration({ dir: supabase, name: "prices", now });
  assert.deepEqual([behind.name, behind.scheme], ["20250101000001_prices.sql", "timestamp"]);
  const emptyRoot = await dirs.dir("bakery-empty", {});
  const created = await newMigration({
    dir: path.join(emptyRoot, "supabase", "migrations"),
    name: "init",
    now,
  });
  assert.equal(created.name, "20240312093000_init.sql");
});

test("opskit migrate new prints the path (and --json); names made unique never clash", async () => {
  const dir = await dirs.dir("cli", { "20240312a_x.sql": "" });
  const text = captureOutput();
  assert.equal(await runCli(["migrate", "new", "next one", "--dir", dir], text.io), 0);
  const made = text.out[0] ?? "";
  assert.match(path.basename(made), /^\d{8}[a-z]_next_one\.sql$/);
  const json = captureOutput();
  assert.equal(await runCli(["migrate", "new", "third", "--dir", dir, "--json"], json.io), 0);
  const parsed = JSON.parse(json.out[0] ?? "") as { name: string; scheme: string };
  assert.equal(parsed.scheme, "dated");
  assert.deepEqual(duplicateVersions(["20240312a_x.sql", path.basename(made), parsed.name]), []);
  const bad = captureOutput();
  assert.equal(await runCli(["migrate", "new", "--dir", dir], bad.io), 2);
  const punct = captureOutput();
  assert.notEqual(await runCli(["migrate", "new", "!!!", "--dir", dir], punct.io), 0);
  assert.match(punct.err.join("\n"), /gives no name/);
});
