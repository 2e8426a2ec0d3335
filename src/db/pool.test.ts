import assert from "node:assert/strict";
import { after, test } from "node:test";
import pg from "pg";
import { createTestDatabase } from "../../test/db.js";
import { createPool, statementSummary, type SlowQuery } from "./index.js";

const db = await createTestDatabase();
after(() => db.drop());

function recorder() {
  const slow: SlowQuery[] = [];
  const logged: { obj: object; msg: string }[] = [];
  return {
    slow,
    logged,
    logger: { warn: (obj: object, msg: string) => logged.push({ obj, msg }) },
  };
}

test("the pool connects to the per-file database and tags its sessions", async () => {
  const pool = createPool({ connectionString: db.url, applicationName: "opskit-test" });
  after(() => pool.end());
  const { rows } = await pool.query<{ db: string; app: string }>(
    "select current_database() as db, current_setting('application_name') as app",
  );
  assert.equal(rows[0]?.db, db.name);
  assert.equal(rows[0]?.app, "opskit-test");
});

test("a slow query is reported once with its statement and duration, never its parameters", async () => {
  const r = recorder();
  const pool = createPool({
    connectionString: db.url,
    slowQueryThresholdMs: 50,
    logger: r.logger,
    onSlowQuery: (s) => r.slow.push(s),
  });
  after(() => pool.end());
  await pool.query("select pg_sleep($1::float8), $2::text", [0.2, "TOKEN123"]);
  await pool.query("select 1");
  assert.equal(r.slow.length, 1);
  assert.equal(r.slow[0]?.statement, "select pg_sleep($1::float8), $2::text");
  assert.ok((r.slow[0]?.durationMs ?? 0) >= 50);
  assert.equal(r.logged.length, 1);
  assert.equal(r.logged[0]?.msg, "slow query");
  assert.deepEqual(Object.keys(r.logged[0]?.obj ?? {}).sort(), [
    "category",
    "duration_ms",
    "statement",
    "threshold_ms",
  ]);
  assert.equal((r.logged[0]?.obj as { category: string }).category, "slow_query");
  assert.equal(JSON.stringify([r.slow, r.logged]).includes("TOKEN123"), false);
});

test("clients checked out with pool.connect are timed too, and a failed slow query still reports", async () => {
  const r = recorder();
  const pool = createPool({ connectionString: db.url, slowQueryThresholdMs: 50, logger: r.logger });
  after(() => pool.end());
  const client = await pool.connect();
  try {
    await client.query("select pg_sleep(0.1)");
    await assert.rejects(
      client.query({
        text: "select 1 / (pg_sleep(0.1)::text <> '')::int -- fails after the sleep",
        values: [],
      }),
      /division by zero/,
    );
  } finally {
    client.release();
  }
  assert.deepEqual(
    r.logged.map((l) => (l.obj as { statement: string }).statement),
    [
      "select pg_sleep(0.1)",
      "select 1 / (pg_sleep(0.1)::text <> '')::int -- fails after the sleep",
    ],
  );
});

test("a logger that throws does not fail the query", async () => {
  const pool = createPool({
    connectionString: db.url,
    slowQueryThresholdMs: 0,
    logger: {
      warn: () => {
        throw new Error("logger down");
      },
    },
  });
  after(() => pool.end());
  const { rows } = await pool.query<{ one: number }>("select 1 as one");
  assert.equal(rows[0]?.one, 1);
  const client = await pool.connect();
  try {
    assert.equal((await client.query<{ one: number }>("select 1 as one")).rows[0]?.one, 1);
  } finally {
    client.release();
  }
});

test("statementSummary keeps the first non-blank line, at most 200 characters", () => {
  assert.equal(statementSummary("\n  \n  select *\n  from orders where id = $1"), "select *");
  const long = statementSummary(`select ${"x, ".repeat(200)}1`);
  assert.equal(long.length, 200);
  assert.ok(long.endsWith("…"));
  assert.equal(statementSummary({ text: "update t set a = $1\nwhere b" }), "update t set a = $1");
});

test("an idle connection killed by the server is logged and replaced, not a crash", async () => {
  const r = recorder();
  let onWarn: () => void = () => undefined;
  const warned = new Promise<void>((resolve) => (onWarn = resolve));
  const pool = createPool({
    connectionString: db.url,
    logger: {
      warn: (obj, msg) => {
        r.logger.warn(obj, msg);
        onWarn();
      },
    },
  });
  after(() => pool.end());
  const { rows } = await pool.query<{ pid: number }>("select pg_backend_pid() as pid");
  const admin = new pg.Client({ connectionString: db.url });
  await admin.connect();
  try {
    await admin.query("select pg_terminate_backend($1)", [rows[0]?.pid]);
  } finally {
    await admin.end();
  }
  await warned;
  assert.equal((r.logged[0]?.obj as { category: string }).category, "db");
  const again = await pool.query<{ pid: number }>("select pg_backend_pid() as pid");
  assert.notEqual(again.rows[0]?.pid, rows[0]?.pid);
});

test("a checked-out client whose connection the server ends (57P01) does not crash the process", async () => {
  const pool = createPool({ connectionString: db.url });
  after(() => pool.end());
  const held = await pool.connect(); // held between statements: no listener of pg-pool's
  const { rows } = await held.query<{ pid: number }>("select pg_backend_pid() as pid");
  await pool.query("select pg_terminate_backend($1)", [rows[0]!.pid]);
  // Without the pool's own listener the "terminating connection" error is
  // emitted with none attached: an uncaught exception fails this test file.
  await new Promise((r) => setTimeout(r, 200));
  await assert.rejects(held.query("select 1"));
  held.release(new Error("its connection was ended"));
  assert.equal((await pool.query<{ n: number }>("select 1 as n")).rows[0]?.n, 1);
});

test("a slow-query line carries the category key once, also from a logger that already binds one", async () => {
  const { createLogger } = await import("../log/index.js");
  for (const bound of [undefined, "slow_query", "db"]) {
    const raw: string[] = [];
    const root = createLogger({
      level: "info",
      destination: { write: (s: string) => void raw.push(s) },
    });
    const pool = createPool({
      connectionString: db.url,
      slowQueryThresholdMs: 0,
      logger: bound === undefined ? root : root.child({ category: bound }),
    });
    await pool.query("select 1");
    await pool.end();
    const line = raw.find((l) => l.includes('"slow query"'));
    assert.ok(line, `a slow-query line (${bound})`);
    assert.equal(line.match(/"category":/g)?.length, 1, line);
    // A bound category is kept (pino cannot unbind it); the pool's own otherwise.
    assert.equal((JSON.parse(line) as { category: string }).category, bound ?? "slow_query");
  }
});
