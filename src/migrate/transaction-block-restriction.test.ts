import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import pg from "pg";
import { createTestDatabase } from "../../test/db.js";
import { parseMigration } from "./parse-migration.js";
import { transactionBlockRestriction } from "./transaction-block-restriction.js";

// Every statement is run inside BEGIN … ROLLBACK on the real server: the ones
// marked non-transactional must fail with 25001, the others must succeed.
const REFUSED = [
  "create index concurrently ci on t (x)",
  "drop index concurrently i",
  "reindex (concurrently) table t",
  "reindex schema public",
  "reindex system opskit_any",
  "reindex database opskit_any",
  "vacuum t",
  "vacuum",
  "cluster",
  "alter system set work_mem = '8MB'",
  "create database opskit_never_created",
  "drop database opskit_never_created",
  "alter database opskit_never_created set tablespace pg_default",
  "create tablespace opskit_ts location '/nonexistent'",
  "drop tablespace opskit_ts",
  "alter table p detach partition c concurrently",
  "discard all",
  "commit prepared 'opskit-gid'",
  "rollback prepared 'opskit-gid'",
  "create subscription opskit_sub2 connection 'dbname=opskit_nowhere' publication p",
  "drop subscription opskit_sub",
];
const ALLOWED = [
  "create index ci on t (x)",
  "drop index i",
  "reindex table t",
  "analyze t",
  "cluster t using i",
  "alter type mood add value 'b'",
  "alter table p detach partition c",
  "discard plans",
  "create subscription opskit_sub3 connection 'dbname=opskit_nowhere' publication p with (connect = false)",
  "alter subscription opskit_sub set publication p with (refresh = false)",
];

const db = await createTestDatabase({ empty: true });
const client = new pg.Client({ connectionString: db.url });
before(async () => {
  await client.connect();
  await client.query(`
    create table t (x int); create index i on t (x);
    create table p (x int) partition by range (x);
    create table c partition of p for values from (0) to (10);
    create type mood as enum ('a');
    create subscription opskit_sub connection 'dbname=opskit_nowhere' publication p with (connect = false);`);
});
after(async () => {
  await client.query(
    "alter subscription opskit_sub set (slot_name = none); drop subscription opskit_sub",
  );
  await client.end();
  await db.drop();
});

async function sqlstateInTransaction(sql: string): Promise<string | undefined> {
  await client.query("begin");
  try {
    await client.query(sql);
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code;
  } finally {
    await client.query("rollback");
  }
}

test("what is marked non-transactional is exactly what Postgres refuses in a transaction", async () => {
  for (const sql of [...REFUSED, ...ALLOWED]) {
    const { statements } = await parseMigration(sql);
    const statement = statements[0]!;
    const restriction = transactionBlockRestriction(statement.ast, 15);
    assert.equal(statement.nonTransactional, restriction !== undefined, sql);
    const sqlstate = await sqlstateInTransaction(sql);
    if (REFUSED.includes(sql)) {
      assert.equal(sqlstate, "25001", `${sql} should be refused in a transaction block`);
      assert.ok(restriction, `${sql} should be marked non-transactional`);
    } else {
      assert.equal(sqlstate, undefined, `${sql} should run in a transaction block`);
      assert.equal(restriction, undefined, `${sql} should not be marked`);
    }
  }
});
