import assert from "node:assert/strict";
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import pg from "pg";
import { createTestDatabase } from "../../test/db.js";
import { isOpskitError } from "../errors.js";
import { migrate } from "../migrate/index.js";
import { assertSessionPooling, probePoolerMode } from "./index.js";

const PGBOUNCER = "/usr/sbin/pgbouncer";
const MISSING = `pgbouncer is not installed at ${PGBOUNCER} (apt-get install pgbouncer)`;

const db = await createTestDatabase();
after(() => db.drop());

interface Bouncer {
  url: string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A pgbouncer in front of the test database, in the given pool mode, with a pool of 2 by default. */
async function startPgbouncer(poolMode: "session" | "transaction", poolSize = 2): Promise<Bouncer> {
  const target = new URL(db.url);
  const dir = await mkdtemp(path.join(os.tmpdir(), "opskit-pgbouncer-"));
  // pgbouncer refuses to run as root: it runs as the `postgres` user, which must read the folder.
  await chmod(dir, 0o755);
  const port = await freePort();
  const user = decodeURIComponent(target.username);
  const password = decodeURIComponent(target.password);
  await writeFile(path.join(dir, "userlist.txt"), `"${user}" "${password}"\n`, { mode: 0o644 });
  await writeFile(
    path.join(dir, "pgbouncer.ini"),
    [
      "[databases]",
      `probe = host=${target.hostname} port=${target.port} dbname=${db.name} user=${user} password=${password}`,
      "[pgbouncer]",
      "listen_addr = 127.0.0.1",
      `listen_port = ${port}`,
      "unix_socket_dir =",
      "auth_type = trust",
      `auth_file = ${path.join(dir, "userlist.txt")}`,
      `pool_mode = ${poolMode}`,
      `default_pool_size = ${poolSize}`,
      "max_client_conn = 20",
      "ignore_startup_parameters = extra_float_digits",
      "",
    ].join("\n"),
    { mode: 0o644 },
  );
  const asRoot = process.getuid?.() === 0;
  const ids = asRoot
    ? {
        uid: Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" })),
        gid: Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" })),
      }
    : {};
  const child = spawn(PGBOUNCER, [path.join(dir, "pgbouncer.ini")], {
    ...ids,
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = `postgres://${user}@127.0.0.1:${port}/probe`;
  try {
    await waitUntilAccepting(url, child, () => stderr);
  } catch (error) {
    child.kill();
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    url,
    stop: async () => {
      if (child.exitCode === null) {
        child.kill("SIGINT");
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function waitUntilAccepting(url: string, child: ChildProcess, log: () => string) {
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) assert.fail(`pgbouncer exited (${child.exitCode}): ${log()}`);
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
    client.on("error", () => undefined);
    try {
      await client.connect();
      await client.query("select 1");
      return;
    } catch (error) {
      if (Date.now() > deadline)
        assert.fail(`pgbouncer did not accept connections: ${String(error)}\n${log()}`);
    } finally {
      await client.end().catch(() => undefined);
    }
    await delay(50); // between attempts only; readiness itself is the successful connection
  }
}

async function advisoryLocksLeft(): Promise<number> {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: number }>(
      "select count(*)::int as n from pg_locks where locktype = 'advisory' and classid = 28528",
    );
    return rows[0]?.n ?? -1;
  } finally {
    await client.end();
  }
}

test("a direct connection has session semantics", async () => {
  const result = await probePoolerMode(db.url);
  assert.equal(result.mode, "session", result.evidence.join("; "));
  assert.ok(result.evidence.some((e) => /advisory lock stayed held/.test(e)));
  assert.equal(await advisoryLocksLeft(), 0);
  await assertSessionPooling(db.url, "worker");
});

test("pgbouncer in transaction mode is detected and refused for the worker role", async (t) => {
  if (!existsSync(PGBOUNCER)) {
    t.skip(MISSING);
    return;
  }
  const bouncer = await startPgbouncer("transaction");
  try {
    const result = await probePoolerMode(bouncer.url);
    t.diagnostic(`evidence: ${result.evidence.join("; ")}`);
    assert.equal(result.mode, "transaction", result.evidence.join("; "));
    assert.ok(
      result.evidence.some((e) => /pg_backend_pid\(\) changed/.test(e)),
      result.evidence.join("; "),
    );
    assert.ok(
      result.evidence.some((e) => /no longer held/.test(e)),
      result.evidence.join("; "),
    );
    // The probe released its lock on whichever server connection held it.
    assert.equal(await advisoryLocksLeft(), 0);
    await assert.rejects(assertSessionPooling(bouncer.url, "worker"), (error) => {
      assert.ok(isOpskitError(error, "POOLER_TRANSACTION_MODE"));
      assert.match(error.message, /worker role/);
      assert.match(error.message, /127\.0\.0\.1:\d+\/probe/);
      assert.match(error.message, /session advisory locks and FOR UPDATE/i);
      assert.match(error.message, /pool_mode = session/);
      return true;
    });
    // The migration runner refuses it before taking a lock or applying anything.
    const dir = await mkdtemp(path.join(os.tmpdir(), "opskit-pooler-migrate-"));
    await writeFile(path.join(dir, "0001_t.sql"), "create table through_pooler (id int);");
    const outcome = await migrate({
      connectionString: bouncer.url,
      sources: [{ source: "app", dir }],
    });
    await rm(dir, { recursive: true, force: true });
    assert.equal(outcome.error?.code, "POOLER_TRANSACTION_MODE");
    assert.deepEqual(outcome.results, []);
  } finally {
    await bouncer.stop();
  }
});

test("pgbouncer in session mode has session semantics", async (t) => {
  if (!existsSync(PGBOUNCER)) {
    t.skip(MISSING);
    return;
  }
  const bouncer = await startPgbouncer("session");
  try {
    const result = await probePoolerMode(bouncer.url);
    t.diagnostic(`evidence: ${result.evidence.join("; ")}`);
    assert.equal(result.mode, "session", result.evidence.join("; "));
    assert.equal(await advisoryLocksLeft(), 0);
    assert.equal((await assertSessionPooling(bouncer.url, "migrate")).mode, "session");
  } finally {
    await bouncer.stop();
  }
});

test("a pool of one server connection cannot hang the probe", async (t) => {
  if (!existsSync(PGBOUNCER)) {
    t.skip(MISSING);
    return;
  }
  // Transaction mode: B is handed the only server connection, the one A just used, and A's
  // next statement waits for it until the timeout.
  const transaction = await startPgbouncer("transaction", 1);
  try {
    const result = await probePoolerMode(transaction.url, { timeoutMs: 500 });
    t.diagnostic(`evidence: ${result.evidence.join("; ")}`);
    assert.equal(result.mode, "transaction");
    assert.match(result.evidence.join("; "), /handed this connection's server session/);
    assert.equal(await advisoryLocksLeft(), 0);
  } finally {
    await transaction.stop();
  }
  // Session mode: A keeps the only server connection, so B cannot start: nothing to conclude.
  const session = await startPgbouncer("session", 1);
  try {
    const result = await probePoolerMode(session.url, { timeoutMs: 500 });
    t.diagnostic(`evidence: ${result.evidence.join("; ")}`);
    assert.equal(result.mode, "unknown");
    assert.equal(await advisoryLocksLeft(), 0);
    assert.equal(
      (await assertSessionPooling(session.url, "worker", { timeoutMs: 500 })).mode,
      "unknown",
    );
  } finally {
    await session.stop();
  }
});

test("an unreachable server gives mode unknown, not a throw", async () => {
  const result = await probePoolerMode(`postgres://app:pw@127.0.0.1:${await freePort()}/x`, {
    timeoutMs: 1000,
  });
  assert.equal(result.mode, "unknown");
  assert.match(result.evidence[0] ?? "", /could not connect/);
});
