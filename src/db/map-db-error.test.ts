import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { createServer, type Socket } from "node:net";
import { after, test } from "node:test";
import pg from "pg";
import { createTestDatabase } from "../../test/db.js";
import { OpskitError, isOpskitError } from "../errors.js";
import { createPool, isDependencyFailure, mapDbError } from "./index.js";

const db = await createTestDatabase();
after(() => db.drop());

async function rejection(work: Promise<unknown>): Promise<unknown> {
  return work.then(
    () => assert.fail("expected a rejection"),
    (error: unknown) => error,
  );
}

function assertDependencyFailure(original: unknown): void {
  const mapped = mapDbError(original);
  assert.ok(isOpskitError(mapped, "DEPENDENCY_FAILURE"), `not mapped: ${String(original)}`);
  assert.equal(mapped.status, 503);
  assert.equal(mapped.cause, original);
  assert.equal(isDependencyFailure(original), true);
  assert.equal(isDependencyFailure(mapped), true);
}

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

test("a pool pointed at a closed port: ECONNREFUSED is a dependency failure", async () => {
  const pool = createPool({
    connectionString: `postgres://app:pw@127.0.0.1:${await closedPort()}/x`,
  });
  try {
    const error = await rejection(pool.query("select 1"));
    assertDependencyFailure(error);
    assert.match((mapDbError(error) as OpskitError).message, /ECONNREFUSED/);
  } finally {
    await pool.end();
  }
});

test("a server that accepts but never answers: pg's connect timeout is a dependency failure", async () => {
  const sockets: Socket[] = [];
  const silent = createServer((socket) => sockets.push(socket));
  await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
  const { port } = silent.address() as { port: number };
  const client = new pg.Client({
    connectionString: `postgres://app:pw@127.0.0.1:${port}/x`,
    connectionTimeoutMillis: 100,
  });
  try {
    assertDependencyFailure(await rejection(client.connect()));
  } finally {
    for (const socket of sockets) socket.destroy();
    silent.close();
  }
});

test("a backend terminated mid-query (57P01), and the client used after it, are dependency failures", async () => {
  const client = new pg.Client({ connectionString: db.url });
  const connectionErrors: Error[] = [];
  client.on("error", (e) => connectionErrors.push(e));
  await client.connect();
  const admin = new pg.Client({ connectionString: db.url });
  await admin.connect();
  try {
    const pid = (await client.query<{ pid: number }>("select pg_backend_pid() as pid")).rows[0]
      ?.pid;
    const sleeping = rejection(client.query("select pg_sleep(30)"));
    await until(async () => {
      const { rows } = await admin.query<{ state: string | null }>(
        "select state from pg_stat_activity where pid = $1",
        [pid],
      );
      return rows[0]?.state === "active";
    }, "the query to start");
    await admin.query("select pg_terminate_backend($1)", [pid]);
    const error = await sleeping;
    assert.equal((error as { code?: string }).code, "57P01");
    assertDependencyFailure(error);
    assertDependencyFailure(await rejection(client.query("select 1")));
  } finally {
    await admin.end();
    await client.end().catch(() => undefined);
  }
});

test("an exhausted pool past connectionTimeoutMillis is a dependency failure", async () => {
  const pool = createPool({ connectionString: db.url, max: 1, connectionTimeoutMillis: 100 });
  const held = await pool.connect();
  try {
    const error = await rejection(pool.query("select 1"));
    assert.match(String(error), /timeout exceeded when trying to connect/);
    assertDependencyFailure(error);
  } finally {
    held.release();
    await pool.end();
  }
});

test("a role over its connection limit (53300) is a dependency failure", async () => {
  const role = `r_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: db.url });
  await admin.connect();
  await admin.query(`create role ${role} login password 'pw' connection limit 1`);
  const url = new URL(db.url);
  url.username = role;
  url.password = "pw";
  const first = new pg.Client({ connectionString: url.toString() });
  const second = new pg.Client({ connectionString: url.toString() });
  try {
    await first.connect();
    const error = await rejection(second.connect());
    assert.equal((error as { code?: string }).code, "53300");
    assertDependencyFailure(error);
  } finally {
    await first.end();
    await admin.query(`drop role ${role}`);
    await admin.end();
  }
});

test("a unique violation (23505) and other errors are returned as they are", async () => {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    await client.query("create temp table u (id int primary key)");
    await client.query("insert into u values (1)");
    const error = await rejection(client.query("insert into u values (1)"));
    assert.equal((error as { code?: string }).code, "23505");
    assert.equal(mapDbError(error), error);
    assert.equal(isDependencyFailure(error), false);
  } finally {
    await client.end();
  }
  const plain = new Error("bug");
  assert.equal(mapDbError(plain), plain);
  const own = new OpskitError("JOB_NOT_FOUND", "nope");
  assert.equal(mapDbError(own), own);
  assert.equal(mapDbError("thrown string"), "thrown string");
});

test("SQLSTATE classes 08 and 53 and crash/startup shutdowns count; a query cancel does not", () => {
  for (const code of ["08006", "08001", "53100", "53200", "57P02", "57P03"]) {
    assert.equal(isDependencyFailure(Object.assign(new Error(code), { code })), true, code);
  }
  for (const code of ["57014", "40001", "42P01", "22012"]) {
    assert.equal(isDependencyFailure(Object.assign(new Error(code), { code })), false, code);
  }
  const wrapped = new Error("outer", {
    cause: Object.assign(new Error("inner"), { code: "ECONNRESET" }),
  });
  assert.equal(isDependencyFailure(wrapped), true);
});
