import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import pg from "pg";
import { createTestDatabase } from "../../test/db.js";
import { isOpskitError } from "../errors.js";
import { migrate } from "../migrate/index.js";
import { assertSessionPooling, probePoolerMode } from "./index.js";
import { freePort } from "../../test/free-port.js";
import { PGBOUNCER_MISSING, startPgbouncer } from "../../test/pgbouncer.js";

const db = await createTestDatabase();
after(() => db.drop());

/** A pgbouncer in front of the test database, in the given pool mode, with a pool of 2 by default. */
const startBouncer = (poolMode: "session" | "transaction", poolSize = 2) =>
  startPgbouncer(db.url, { poolMode, poolSize, maxClientConn: 20 });

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
  if (PGBOUNCER_MISSING) {
    t.skip(PGBOUNCER_MISSING);
    return;
  }
  const bouncer = await startBouncer("transaction");
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
      assert.ok(error.message.includes(new URL(bouncer.url).host), error.message);
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
  if (PGBOUNCER_MISSING) {
    t.skip(PGBOUNCER_MISSING);
    return;
  }
  const bouncer = await startBouncer("session");
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
  if (PGBOUNCER_MISSING) {
    t.skip(PGBOUNCER_MISSING);
    return;
  }
  // Transaction mode: B is handed the only server connection, the one A just used, and A's
  // next statement waits for it until the timeout.
  const transaction = await startBouncer("transaction", 1);
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
  const session = await startBouncer("session", 1);
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
