import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { migrationDirs, queryRows } from "../../test/helpers.js";
import { after, test } from "node:test";
import { createTestDatabase } from "../../test/db.js";
import { migrate, migrationStatus } from "./index.js";
import { lintMigrations } from "./lint/lint-migrations.js";

const db = await createTestDatabase({ empty: true });
const dirs = await migrationDirs();
after(async () => {
  await db.drop();
  await dirs.remove();
});

test("a file of CREATE INDEX CONCURRENTLY runs outside a transaction, detected by the parser", async () => {
  const d = await dirs.dir("cic", {
    "0001_t.sql": "create table cic_t (id int, email text);",
    "0002_idx.sql": "create index concurrently cic_t_email on cic_t (email);\n",
  });
  const { error, results } = await migrate({
    connectionString: db.url,
    sources: [{ source: "cic", dir: d }],
  });
  assert.equal(error, undefined);
  assert.deepEqual(
    results.map((r) => [r.name, r.transactional]),
    [
      ["0001_t.sql", true],
      ["0002_idx.sql", false],
    ],
  );
  const valid = await queryRows<{ ok: boolean }>(
    db.url,
    "select indisvalid as ok from pg_index where indexrelid = 'cic_t_email'::regclass",
  );
  assert.deepEqual(valid, [{ ok: true }]);
});

test("mixing CONCURRENTLY with ordinary statements is refused before anything runs", async () => {
  const d = await dirs.dir("mixed", {
    "0001_mixed.sql":
      "create table mixed_t (id int);\ncreate index concurrently mixed_i on mixed_t (id);\n",
  });
  const { error, results } = await migrate({
    connectionString: db.url,
    sources: [{ source: "mixed", dir: d }],
  });
  assert.equal(error?.code, "MIGRATION_MIXED_TRANSACTION");
  assert.equal(error?.line, 2);
  assert.match(error?.message ?? "", /opskit:no-transaction/);
  assert.deepEqual(results, []);
  assert.deepEqual(await queryRows(db.url, "select 1 from pg_class where relname = 'mixed_t'"), []);
});

test("a syntax error is reported with its line before anything runs", async () => {
  const d = await dirs.dir("syntax", {
    "0001_ok.sql": "create table syntax_ok (id int);",
    "0002_bad.sql": "create table syntax_bad (id int);\nselect from where;\n",
  });
  const { error, results } = await migrate({
    connectionString: db.url,
    sources: [{ source: "syntax", dir: d }],
  });
  assert.equal(error?.code, "MIGRATION_PARSE_ERROR");
  assert.equal(error?.file, "0002_bad.sql");
  assert.equal(error?.line, 2);
  assert.deepEqual(results, [], "0001 was not applied either: every file is parsed first");
});

test("a no-transaction file that fails part-way resumes at the failed statement; run statements cannot be edited", async () => {
  const file = (third: string) =>
    [
      "-- opskit:no-transaction",
      "create table resume_a (id int);",
      "create table resume_b (id int);",
      third,
      "",
    ].join("\n");
  const d = await dirs.dir("resume", {
    "0001_steps.sql": file("insert into resume_missing values (1);"),
  });
  const sources = [{ source: "resume", dir: d }];
  const first = await migrate({ connectionString: db.url, sources });
  assert.equal(first.error?.code, "MIGRATION_FAILED");
  assert.equal(first.error?.sqlstate, "42P01");
  assert.equal(first.error?.line, 4);
  assert.match(first.error?.message ?? "", /resumes at this statement/);
  const status = await migrationStatus({ connectionString: db.url, sources });
  assert.equal(status.files[0]?.state, "partial");
  assert.equal(status.files[0]?.statementsDone, 2);
  // The fix only touches the statement that failed: the rerun resumes there (re-running the
  // first two would fail with 42P07, the tables exist).
  await writeFile(path.join(d, "0001_steps.sql"), file("create table resume_c (id int);"));
  const second = await migrate({ connectionString: db.url, sources });
  assert.equal(second.error, undefined);
  assert.equal(
    (await migrationStatus({ connectionString: db.url, sources })).files[0]?.state,
    "applied",
  );
  assert.deepEqual(await queryRows(db.url, "select * from opskit.schema_migration_progress"), []);

  const d2 = await dirs.dir("resume-edited", {
    "0001_steps.sql": "-- opskit:no-transaction\ncreate table edit_a (id int);\nselect 1/0;\n",
  });
  const sources2 = [{ source: "resume-edited", dir: d2 }];
  assert.equal(
    (await migrate({ connectionString: db.url, sources: sources2 })).error?.sqlstate,
    "22012",
  );
  await writeFile(
    path.join(d2, "0001_steps.sql"),
    "-- opskit:no-transaction\ncreate table edit_a (id bigint);\nselect 1;\n",
  );
  const edited = await migrate({ connectionString: db.url, sources: sources2 });
  assert.equal(edited.error?.code, "MIGRATION_CHECKSUM_MISMATCH");
  assert.match(edited.error?.message ?? "", /first 1 statement\(s\) already ran/);
});

test("header directives override the run's lock_timeout and statement_timeout for that file only", async () => {
  const check = (setting: string, want: string) =>
    `do $$ begin if current_setting('${setting}') <> '${want}' then raise exception '${setting} is %', current_setting('${setting}'); end if; end $$;`;
  const d = await dirs.dir("timeouts", {
    "0001_custom.sql": `-- opskit:lock-timeout 100ms\n-- opskit:statement-timeout 2min\n${check("lock_timeout", "100ms")}\n${check("statement_timeout", "2min")}\n`,
    "0002_default.sql": `${check("lock_timeout", "5s")}\n${check("statement_timeout", "0")}\n`,
  });
  const { error } = await migrate({
    connectionString: db.url,
    sources: [{ source: "timeouts", dir: d }],
  });
  assert.equal(error, undefined, error?.message);
});

test("lint and runner agree: a file of only CREATE INDEX CONCURRENTLY lints clean and applies; a mixed one fails both", async () => {
  const only = await dirs.dir("agree-only", {
    "0001_t.sql": "create table agree_t (id int, email text);",
    "0002_idx.sql": "create index concurrently agree_t_email on agree_t (email);\n",
  });
  const linted = await lintMigrations({ dirs: [only] });
  assert.deepEqual(
    linted.findings.filter((f) => f.severity === "error"),
    [],
    "lint: the runner runs this file outside a transaction",
  );
  const applied = await migrate({
    connectionString: db.url,
    sources: [{ source: "agree-only", dir: only }],
  });
  assert.equal(applied.error, undefined);

  const mixed = await dirs.dir("agree-mixed", {
    "0001_mixed.sql":
      "create table agree_m (id int);\ncreate index concurrently agree_m_i on agree_m (id);\n",
  });
  const mixedLint = await lintMigrations({ dirs: [mixed] });
  assert.ok(mixedLint.findings.some((f) => f.severity === "error" && f.line === 2));
  const refused = await migrate({
    connectionString: db.url,
    sources: [{ source: "agree-mixed", dir: mixed }],
  });
  assert.equal(refused.error?.code, "MIGRATION_MIXED_TRANSACTION");
});
