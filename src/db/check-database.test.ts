import assert from "node:assert/strict";
import { createServer, type Socket } from "node:net";
import { inspect } from "node:util";
import { after, test } from "node:test";
import { createTestDatabase } from "../../test/db.js";
import { isOpskitError } from "../errors.js";
import { checkDatabase, createPool, describeConnectionTarget } from "./index.js";

const db = await createTestDatabase();
after(() => db.drop());

const SECRET = "pw-Sekr1t-do-not-log";

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function withPassword(url: string, password: string): string {
  const u = new URL(url);
  u.password = password;
  return u.toString();
}

async function connectFailure(target: string | ReturnType<typeof createPool>): Promise<Error> {
  const error = await checkDatabase(target, { timeoutMs: 2000 }).then(
    () => assert.fail("checkDatabase should have failed"),
    (e: unknown) => e as Error,
  );
  assert.ok(isOpskitError(error, "DB_CONNECT_FAILED"), String(error));
  return error;
}

function assertNoSecret(error: Error): void {
  for (const text of [
    error.message,
    String(error),
    JSON.stringify(error),
    JSON.stringify((error as { details?: unknown }).details) ?? "",
    inspect(error, { depth: 10 }),
  ]) {
    assert.equal(text.includes(SECRET), false, `password leaked in: ${text}`);
  }
}

test("reports the server's version, database, user and a latency", async () => {
  const info = await checkDatabase(db.url);
  assert.match(info.serverVersion, /^\d+\.\d+/);
  assert.ok(info.serverVersionNum >= 130000);
  assert.equal(info.database, db.name);
  assert.equal(info.user, new URL(db.url).username);
  assert.ok(info.latencyMs >= 0);
});

test("accepts a pool as well as a URL", async () => {
  const pool = createPool({ connectionString: db.url });
  try {
    assert.equal((await checkDatabase(pool)).database, db.name);
  } finally {
    await pool.end();
  }
});

test("a closed port: names host, port, database and ECONNREFUSED, never the password", async () => {
  const port = await closedPort();
  const url = `postgres://app:${SECRET}@127.0.0.1:${port}/shop`;
  const error = await connectFailure(url);
  assert.match(error.message, new RegExp(`127\\.0\\.0\\.1:${port}/shop`));
  assert.match(error.message, /ECONNREFUSED/);
  assert.match(error.message, /Check that the server is running/);
  assertNoSecret(error);
});

test("a wrong password on the real server: says authentication failed, never the password", async () => {
  const url = withPassword(db.url, SECRET);
  const error = await connectFailure(url);
  const { hostname, port } = new URL(db.url);
  assert.ok(error.message.includes(`${hostname}:${port}/${db.name}`), error.message);
  assert.match(error.message, /password authentication failed/);
  assertNoSecret(error);
});

test("a pool with a wrong password fails the same way", async () => {
  const pool = createPool({ connectionString: withPassword(db.url, SECRET) });
  try {
    const error = await connectFailure(pool);
    assert.match(error.message, /password authentication failed/);
    assertNoSecret(error);
  } finally {
    await pool.end();
  }
});

test("a server that accepts but never answers fails within the timeout", async () => {
  const sockets: Socket[] = [];
  const silent = createServer((socket) => sockets.push(socket));
  await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
  const { port } = silent.address() as { port: number };
  try {
    const error = await checkDatabase(`postgres://app:${SECRET}@127.0.0.1:${port}/shop`, {
      timeoutMs: 100,
    }).then(
      () => assert.fail("checkDatabase should have failed"),
      (e: unknown) => e as Error,
    );
    assert.ok(isOpskitError(error, "DB_CONNECT_FAILED"));
    assert.match(error.message, /no answer within the connect timeout/);
    assertNoSecret(error);
  } finally {
    for (const socket of sockets) socket.destroy();
    silent.close();
  }
});

test("a database that does not exist is named as such", async () => {
  const url = new URL(db.url);
  url.pathname = "/no_such_database_here";
  const error = await connectFailure(url.toString());
  assert.match(error.message, /\/no_such_database_here/);
  assert.match(error.message, /does not exist/);
});

test("an unparseable URL is refused without echoing it", async () => {
  const error = await connectFailure(`postgres://app:${SECRET}@[bad-host/db`);
  assert.match(error.message, /could not be parsed/);
  assertNoSecret(error);
});

test("describeConnectionTarget gives host:port/database and nothing else", () => {
  assert.equal(
    describeConnectionTarget(`postgres://app:${SECRET}@db.internal:6432/shop?sslmode=require`),
    "db.internal:6432/shop",
  );
  assert.equal(
    describeConnectionTarget(`postgresql://app:${SECRET}@db.internal`),
    "db.internal:5432/app",
  );
  assert.equal(describeConnectionTarget(`not a url ${SECRET}`), "(unparseable connection string)");
});
