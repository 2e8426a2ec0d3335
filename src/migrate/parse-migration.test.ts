import assert from "node:assert/strict";
import { test } from "node:test";
import { isOpskitError } from "../errors.js";
import { parseMigration } from "./parse-migration.js";

async function parseError(sql: string) {
  try {
    await parseMigration(sql);
  } catch (error) {
    assert.ok(isOpskitError(error, "MIGRATION_PARSE_ERROR"), String(error));
    return { message: error.message, ...(error.details as { line: number; column: number }) };
  }
  assert.fail("expected MIGRATION_PARSE_ERROR");
}

test("statements carry their text, UTF-16 offset, line, column and kind", async () => {
  const sql = "create table a (id int);\n\n  /* b */ create index on a (id);\nselect 1";
  const { statements, directives } = await parseMigration(sql);
  assert.deepEqual(
    statements.map(({ sql, start, line, column, kind, nonTransactional }) => ({
      sql,
      start,
      line,
      column,
      kind,
      nonTransactional,
    })),
    [
      {
        sql: "create table a (id int)",
        start: 0,
        line: 1,
        column: 1,
        kind: "CreateStmt",
        nonTransactional: false,
      },
      {
        sql: "create index on a (id)",
        start: 36,
        line: 3,
        column: 11,
        kind: "IndexStmt",
        nonTransactional: false,
      },
      {
        sql: "select 1",
        start: 60,
        line: 4,
        column: 1,
        kind: "SelectStmt",
        nonTransactional: false,
      },
    ],
  );
  assert.deepEqual(directives, { noTransaction: false });
  for (const s of statements) assert.equal(sql.slice(s.start, s.start + s.sql.length), s.sql);
});

test("multi-byte characters before a statement: byte offsets become UTF-16 offsets", async () => {
  // é is 2 bytes and 1 UTF-16 unit; 😀 is 4 bytes and 2 units.
  const sql =
    "-- crème brûlée 😀😀\ncreate table \"gâteau😀\" (id int);   select 'é😀' as x; select 2;";
  const { statements, comments } = await parseMigration(sql);
  assert.deepEqual(
    statements.map((s) => s.sql),
    ['create table "gâteau😀" (id int)', "select 'é😀' as x", "select 2"],
  );
  for (const s of statements) assert.equal(sql.slice(s.start, s.start + s.sql.length), s.sql);
  assert.deepEqual(
    statements.map((s) => [s.line, s.column]),
    [
      [2, 1],
      [2, 37],
      [2, 56],
    ],
  );
  assert.deepEqual(
    comments.map((c) => c.text),
    ["-- crème brûlée 😀😀"],
  );
});

test("dollar-quoted function bodies keep their semicolons", async () => {
  const sql = `create function f() returns int language plpgsql as $body$
begin
  perform 1; -- not a statement end
  return 2;
end;
$body$;
do $$ begin raise notice 'a;b'; end $$;`;
  const { statements } = await parseMigration(sql);
  assert.deepEqual(
    statements.map((s) => [s.kind, s.line]),
    [
      ["CreateFunctionStmt", 1],
      ["DoStmt", 7],
    ],
  );
  assert.ok(statements[0]?.sql.endsWith("$body$"));
});

test("BOM and CRLF normalised by the runner: positions still line up", async () => {
  const raw = "\uFEFF-- opskit:lock-timeout 2s\r\ncreate table é (id int);\r\nselect 1;\r\n";
  const sql = raw.replace(/^\uFEFF/, "").replace(/\r\n/g, "\n");
  const { statements, directives } = await parseMigration(sql);
  assert.deepEqual(
    statements.map((s) => [s.line, s.column, s.sql]),
    [
      [2, 1, "create table é (id int)"],
      [3, 1, "select 1"],
    ],
  );
  assert.equal(directives.lockTimeout, "2s");
});

test("header directives are read; unknown, malformed, repeated or misplaced ones are errors", async () => {
  const { directives } = await parseMigration(
    "-- A comment first.\n-- opskit:no-transaction\n--opskit:lock-timeout 10s\n-- opskit:statement-timeout 5min\n\ncreate index concurrently i on t (x);",
  );
  assert.deepEqual(directives, {
    noTransaction: true,
    lockTimeout: "10s",
    statementTimeout: "5min",
  });
  const unknown = await parseError("-- opskit:no-transactions\nselect 1;");
  assert.equal(unknown.line, 1);
  assert.match(unknown.message, /unknown directive opskit:no-transactions/);
  assert.match((await parseError("-- opskit:lock-timeout soon\nselect 1;")).message, /duration/);
  assert.match((await parseError("-- opskit:no-transaction yes\nselect 1;")).message, /no value/);
  assert.match(
    (await parseError("-- opskit:lock-timeout 1s\n-- opskit:lock-timeout 2s\nselect 1;")).message,
    /twice/,
  );
  const late = await parseError("select 1;\n  -- opskit:no-transaction\nselect 2;");
  assert.deepEqual([late.line, late.column], [2, 3]);
  assert.match(late.message, /after the first statement/);
  // A file of comments only: every comment is header.
  assert.deepEqual((await parseMigration("-- opskit:no-transaction\n")).directives, {
    noTransaction: true,
  });
});

test("a syntax error is MIGRATION_PARSE_ERROR with the line and UTF-16 column", async () => {
  const error = await parseError("create table a (id int);\nselect '😀é' + ;");
  assert.deepEqual([error.line, error.column], [2, 16]);
  assert.match(error.message, /^line 2, column 16: syntax error at or near ";"/);
});

test("nonTransactional marks what Postgres refuses in a transaction block", async () => {
  const { statements } = await parseMigration(
    `create index concurrently i on t (x);
create index i2 on t (x);
drop index concurrently i;
reindex (concurrently) table t;
reindex table t;
vacuum t;
analyze t;
alter type mood add value 'x';
cluster;
cluster t using i;
alter table p detach partition c concurrently;
alter table p detach partition c;`,
  );
  assert.deepEqual(
    statements.map((s) => s.nonTransactional),
    [true, false, true, true, false, true, false, false, true, false, true, false],
  );
  const old = await parseMigration("alter type mood add value 'x';", { pgVersion: 11 });
  assert.equal(old.statements[0]?.nonTransactional, true);
});
