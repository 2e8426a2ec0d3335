import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { toolkitMigrationsDir } from "../toolkit-migrations.js";
import { lintMigrations } from "./lint-migrations.js";

const tmp = await mkdtemp(path.join(os.tmpdir(), "opskit-lint-"));
after(() => rm(tmp, { recursive: true, force: true }));

async function dir(name: string, files: Record<string, string>): Promise<string> {
  const d = path.join(tmp, name);
  for (const [file, sql] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(d, file)), { recursive: true });
    await writeFile(path.join(d, file), sql);
  }
  return d;
}

function serious<F extends { severity: string }>(findings: F[]): F[] {
  return findings.filter((f) => f.severity !== "info");
}

test("the toolkit's own migrations and the demo's pass (no error or warning)", async () => {
  const demo = path.join(import.meta.dirname, "../../../examples/bakery/migrations");
  const { findings, files } = await lintMigrations({ dirs: [toolkitMigrationsDir, demo] });
  assert.ok(files.length >= 2);
  assert.deepEqual(serious(findings), []);
});

test("known-good forms produce no error or warning", async () => {
  const d = await dir("known-good", {
    "0001_init.sql": `create table accounts (id bigint generated always as identity primary key, email text, team_id bigint);
create table teams (id bigint generated always as identity primary key, name text not null);
create index accounts_email_idx on accounts (email);
alter table accounts add constraint accounts_team_fk foreign key (team_id) references teams (id);
alter table accounts add column region text not null;`,
    "0002_fk.sql":
      "alter table accounts add constraint accounts_owner_fk foreign key (team_id) references teams (id) not valid;\n",
    "0003_validate.sql": "alter table accounts validate constraint accounts_owner_fk;\n",
    "0004_index.sql": `-- opskit:no-transaction
drop index concurrently if exists accounts_team_idx;
create index concurrently accounts_team_idx on accounts (team_id);`,
    "0005_defaults.sql": `-- opskit:statement-timeout 5min
alter table accounts add column tier text not null default 'basic';
alter table accounts add column created_at timestamptz not null default now();`,
    "0006_backfill.sql": `-- opskit:statement-timeout 5min
with src as (select a.id, t.name from accounts a join teams t on t.id = a.team_id)
update accounts set tier = src.name from src where src.id = accounts.id and accounts.tier = 'basic';`,
  });
  const { findings } = await lintMigrations({ dirs: [d] });
  assert.deepEqual(serious(findings), []);
});

test("the same files with an older server: a constant default rewrites before PG 11", async () => {
  const d = await dir("pg10", {
    "0001_init.sql": "create table t (id bigint primary key);\n",
    "0002_default.sql": "alter table t add column tier text default 'basic';\n",
  });
  assert.deepEqual(
    serious((await lintMigrations({ dirs: [d], pgVersion: 10 })).findings).map((f) => f.rule),
    ["adding-field-with-default"],
  );
  assert.deepEqual(serious((await lintMigrations({ dirs: [d], pgVersion: "15" })).findings), []);
});

test("unapplied files' objects are new only when the applied list is known", async () => {
  const d = await dir("applied", {
    "0001_init.sql": "create table t (id bigint primary key, v text);\n",
    "0002_index.sql": "create index t_v_idx on t (v);\n",
  });
  const rules = async (applied?: { name: string }[]) =>
    serious((await lintMigrations({ dirs: [d], applied })).findings).map((f) => f.rule);
  assert.deepEqual(await rules(), ["require-concurrent-index-creation"]);
  assert.deepEqual(await rules([]), [], "nothing applied: t is created in the same deploy");
  assert.deepEqual(await rules([{ name: "0001_init.sql" }]), ["require-concurrent-index-creation"]);
});

test("findings carry line and UTF-16 column after multi-byte text; a syntax error is a finding", async () => {
  const d = await dir("positions", {
    "0001_a.sql":
      "-- Gâteaux 😀 de la maison\ncreate table gâteaux (id bigint primary key);\nselect 1; delete from gâteaux_old;\n",
    "0002_b.sql": "create table broken (id bigint,);\n",
    "0003_c.sql": "drop table gâteaux_old;\n",
  });
  const { findings, files } = await lintMigrations({ dirs: [d] });
  assert.deepEqual(
    serious(findings).map((f) => [path.basename(f.file), f.line, f.column, f.rule, f.severity]),
    [
      ["0001_a.sql", 3, 11, "ban-delete-without-where", "error"],
      ["0002_b.sql", 1, 32, "syntax-error", "error"],
      ["0003_c.sql", 1, 1, "ban-drop-table", "error"],
    ],
  );
  assert.equal(files.length, 3);
});

test("Prisma's layout is read in runner order; one ignore can name several rules", async () => {
  const d = await dir("prisma", {
    "20240101000000_init/migration.sql": "create table t (id bigint primary key, v text);\n",
    "20240201000000_drop/migration.sql":
      "-- opskit-lint-ignore ban-drop-column, require-statement-timeout, ban-drop-table: v unused since March (fixture)\nalter table t drop column v;\n",
  });
  const { findings, files } = await lintMigrations({ dirs: [d] });
  assert.deepEqual(
    files.map((f) => f.name),
    ["20240101000000_init", "20240201000000_drop"],
  );
  assert.deepEqual(
    findings.map((f) => `${f.rule}: ${f.message.slice(0, 30)}`),
    ["unused-ignore: Nothing of ban-drop-table was "],
  );
});
