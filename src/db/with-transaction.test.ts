import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import pg from "pg";
import { createTestDatabase } from "../../test/db.js";
import { isOpskitError } from "../errors.js";
import { createPool, isDependencyFailure, withTransaction, type Pool } from "./index.js";

const db = await createTestDatabase();
// One connection: a client that was not released would make the next checkout time out.
let pool: Pool;
before(async () => {
  pool = createPool({ connectionString: db.url, max: 1, connectionTimeoutMillis: 2000 });
  await pool.query("create table items (id int primary key, name text not null)");
});
after(async () => {
  await pool.end();
  await db.drop();
});

async function names(): Promise<string[]> {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    const { rows } = await client.query<{ name: string }>("select name from items order by id");
    return rows.map((r) => r.name);
  } finally {
    await client.end();
  }
}

async function reset(): Promise<void> {
  await pool.query("truncate items");
}

test("commits: the rows are visible to other connections, and the result is returned", async () => {
  await reset();
  const result = await withTransaction(pool, async (client) => {
    await client.query("insert into items values (1, 'flour')");
    return "done";
  });
  assert.equal(result, "done");
  assert.deepEqual(await names(), ["flour"]);
  assert.equal(pool.idleCount, 1);
});

test("a throw rolls back, rethrows the same error and releases the client", async () => {
  await reset();
  const boom = new Error("boom");
  await assert.rejects(
    withTransaction(pool, async (client) => {
      await client.query("insert into items values (1, 'sugar')");
      throw boom;
    }),
    (error) => error === boom,
  );
  assert.deepEqual(await names(), []);
  // max is 1: this would time out if the client had not been released.
  assert.equal((await pool.query("select 1 as one")).rows.length, 1);
});

test("nested calls on the client are savepoints: an inner failure rolls back only itself", async () => {
  await reset();
  await withTransaction(pool, async (client) => {
    await client.query("insert into items values (1, 'eggs')");
    await withTransaction(client, async (inner) => {
      await inner.query("insert into items values (2, 'milk')");
      await withTransaction(inner, async (deepest) => {
        await deepest.query("insert into items values (3, 'salt')");
      });
    });
    await assert.rejects(
      withTransaction(client, async (inner) => {
        await inner.query("insert into items values (4, 'yeast')");
        await inner.query("insert into items values (1, 'duplicate')");
      }),
      { code: "23505" },
    );
    await client.query("insert into items values (5, 'butter')");
  });
  assert.deepEqual(await names(), ["eggs", "milk", "salt", "butter"]);
});

test("given a client outside a transaction, it begins and commits on it and leaves it checked out", async () => {
  await reset();
  const client = await pool.connect();
  try {
    await withTransaction(client, async (tx) => {
      await tx.query("insert into items values (1, 'cocoa')");
    });
    assert.equal(client.getTransactionStatus(), "I");
    assert.deepEqual(await names(), ["cocoa"]);
  } finally {
    client.release();
  }
});

test("isolation and readOnly are applied to the transaction", async () => {
  const level = await withTransaction(
    pool,
    async (client) =>
      (
        await client.query<{ level: string }>(
          "select current_setting('transaction_isolation') as level",
        )
      ).rows[0]?.level,
    { isolation: "serializable" },
  );
  assert.equal(level, "serializable");
  await assert.rejects(
    withTransaction(pool, (client) => client.query("insert into items values (9, 'x')"), {
      readOnly: true,
    }),
    { code: "25006" },
  );
  await assert.rejects(
    withTransaction(pool, async (client) => {
      await withTransaction(client, async () => undefined, { readOnly: true });
    }),
    /outermost transaction/,
  );
});

test("an error caught and ignored inside the transaction does not pass for a commit", async () => {
  await reset();
  await assert.rejects(
    withTransaction(pool, async (client) => {
      await client.query("insert into items values (1, 'vanilla')");
      await client.query("select 1/0").catch(() => undefined);
    }),
    (error) =>
      isOpskitError(error, "INTERNAL") && /rolled back instead of committed/.test(error.message),
  );
  assert.deepEqual(await names(), []);
});

test("a connection that broke during the transaction is released with the error and discarded", async () => {
  const released: (Error | undefined)[] = [];
  const onRelease = (error: Error | undefined) => released.push(error);
  pool.on("release", onRelease);
  const admin = new pg.Client({ connectionString: db.url });
  await admin.connect();
  let brokenPid: number | undefined;
  try {
    const error = await withTransaction(pool, async (client) => {
      brokenPid = (await client.query<{ pid: number }>("select pg_backend_pid() as pid")).rows[0]
        ?.pid;
      await admin.query("select pg_terminate_backend($1)", [brokenPid]);
      await client.query("select 1");
    }).then(
      () => assert.fail("the transaction should have failed"),
      (e: unknown) => e,
    );
    assert.equal(isDependencyFailure(error), true, String(error));
  } finally {
    pool.off("release", onRelease);
    await admin.end();
  }
  assert.equal(released.length, 1);
  assert.ok(released[0] instanceof Error, "released without the error: the pool would reuse it");
  assert.equal(pool.totalCount, 0);
  const { rows } = await pool.query<{ pid: number }>("select pg_backend_pid() as pid");
  assert.notEqual(rows[0]?.pid, brokenPid);
});

test("a connection killed while fn is between queries fails the transaction instead of crashing", async () => {
  const admin = new pg.Client({ connectionString: db.url });
  await admin.connect();
  try {
    const error = await withTransaction(pool, async (client) => {
      const { rows } = await client.query<{ pid: number }>("select pg_backend_pid() as pid");
      // Idle in transaction, as while awaiting an HTTP call: the server ends the session
      // (pg_terminate_backend here, idle_in_transaction_session_timeout in production).
      const ended = new Promise((resolve) => client.once("end", resolve));
      await admin.query("select pg_terminate_backend($1)", [rows[0]?.pid]);
      await ended;
      await client.query("insert into items values (1, 'never')");
    }).then(
      () => assert.fail("the transaction should have failed"),
      (e: unknown) => e,
    );
    assert.equal(isDependencyFailure(error), true, String(error));
  } finally {
    await admin.end();
  }
  assert.equal(pool.totalCount, 0);
  assert.deepEqual(await names(), []);
});
