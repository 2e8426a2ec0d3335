import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Hono } from "hono";
import { createTestDatabase, type TestDatabase } from "../../test/db.js";
import { createPool, type Pool } from "../db/index.js";
import { createLogger } from "../log/index.js";
import { createHttpApp } from "./index.js";

let db: TestDatabase;
let pool: Pool;
const lines: Record<string, unknown>[] = [];

before(async () => {
  db = await createTestDatabase();
  pool = createPool({ connectionString: db.url, max: 2 });
  await pool.query(`
    create table pe_parent (id bigint primary key, code text unique, n int check (n > 0), doc jsonb);
    create table pe_child (parent_id bigint not null references pe_parent (id));
    insert into pe_parent values (1, 'secret-value-7', 1, '{}');`);
});
after(async () => {
  await pool.end();
  await db.drop();
});

// Each statement fails in Postgres itself with the SQLSTATE named.
const FAILURES: [sqlstate: string, status: number, code: string, sql: string][] = [
  ["23505", 409, "CONFLICT", "insert into pe_parent (id, code, n) values (2, 'secret-value-7', 1)"],
  ["23503", 409, "CONFLICT", "insert into pe_child values (99)"],
  ["23514", 422, "UNPROCESSABLE", "insert into pe_parent (id, n) values (3, -1)"],
  ["23502", 422, "UNPROCESSABLE", "insert into pe_child values (null)"],
  ["22P02", 400, "BAD_REQUEST", "select 'secret-value-7'::bigint"],
  ["22003", 400, "BAD_REQUEST", "select '99999999999999999999'::numeric::bigint"],
  ["22021", 400, "BAD_REQUEST", "select convert_from('\\x00'::bytea, 'UTF8')"],
  ["22007", 400, "BAD_REQUEST", "select 'secret-value-7'::timestamptz"],
  ["22008", 400, "BAD_REQUEST", "select '294277-01-01'::timestamptz"],
  ["22P05", 400, "BAD_REQUEST", `select '{"a":"\\u0000"}'::jsonb->>'a'`],
];

function app() {
  const routes = new Hono().get("/fail/:i", async (c) => {
    await pool.query(FAILURES[Number(c.req.param("i"))]![3]);
    return c.text("no error");
  });
  const log = createLogger({
    level: "debug",
    destination: {
      write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>),
    },
  });
  return createHttpApp({ log, mounts: [{ path: "/", app: routes }] });
}

test("a Postgres error a request caused is a 4xx envelope with a fixed message, never a 500 or the SQL", async () => {
  for (const [i, [sqlstate, status, code]] of FAILURES.entries()) {
    const res = await app().request(`/fail/${i}`);
    const text = await res.text();
    assert.equal(res.status, status, `${sqlstate}: ${text}`);
    const body = JSON.parse(text) as { error: { code: string; message: string } };
    assert.equal(body.error.code, code, sqlstate);
    assert.doesNotMatch(text, /secret-value|pe_parent|pe_child|select|insert|294277/i, sqlstate);
    const logged = lines.find((l) => l.sqlstate === sqlstate);
    assert.ok(logged, `${sqlstate} logged`);
  }
});

test("a Postgres error that is not the request's (undefined table) stays a 500", async () => {
  const routes = new Hono().get("/", async (c) => {
    await pool.query("select * from pe_missing");
    return c.text("no");
  });
  const res = await createHttpApp({
    log: createLogger({ level: "silent" }),
    mounts: [{ path: "/", app: routes }],
  }).request("/");
  assert.equal(res.status, 500);
});
