import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer } from "node:net";
import { after, before, describe, test } from "node:test";
import pg from "pg";
import { createTestDatabase, type TestDatabase } from "../../test/db.js";
import { createPool, type Pool } from "../db/index.js";
import { createHealth } from "./create-health.js";
import { postgresCheck } from "./postgres-check.js";

let db: TestDatabase;
before(async () => {
  db = await createTestDatabase({ empty: true });
});
after(() => db.drop());

async function withPool<T>(options: pg.PoolConfig, fn: (pool: Pool) => Promise<T>): Promise<T> {
  const pool = new pg.Pool({ connectionString: db.url, ...options });
  try {
    return await fn(pool);
  } finally {
    await pool.end();
  }
}

/** A local port that nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  server.close();
  await once(server, "close");
  assert.ok(address && typeof address === "object");
  return address.port;
}

describe("postgresCheck", () => {
  test("passes against the real Postgres and returns its client to the pool", async () => {
    const pool = createPool({ connectionString: db.url, max: 1 });
    try {
      const health = createHealth({ checks: [postgresCheck(pool, { componentId: "test-db" })] });
      health.markStarted();
      await health.refresh();
      const res = await health.app.request("/readyz");
      assert.equal(res.status, 200);
      const [view] = health.snapshot().checks;
      assert.equal(view?.key, "postgres:responseTime");
      assert.equal(view?.status, "pass");
      assert.equal(view?.result?.observedUnit, "ms");
      assert.equal(pool.totalCount, pool.idleCount);
      // The probe's statement_timeout was local to its own statement.
      const { rows } = await pool.query<{ statement_timeout: string }>("show statement_timeout");
      assert.equal(rows[0]?.statement_timeout, "0");
    } finally {
      await pool.end();
    }
  });

  test("fails fast, without waiting for its timeout, when nothing listens on the port", async () => {
    const url = new URL(db.url);
    url.port = String(await closedPort());
    const pool = new pg.Pool({ connectionString: url.toString(), connectionTimeoutMillis: 2000 });
    try {
      const health = createHealth({ checks: [postgresCheck(pool, { timeoutMs: 600_000 })] });
      health.markStarted();
      await health.refresh();
      const res = await health.app.request("/readyz");
      assert.equal(res.status, 503);
      const [view] = health.snapshot().checks;
      assert.equal(view?.status, "fail");
      assert.match(view?.output ?? "", /ECONNREFUSED/);
      assert.doesNotMatch(view?.output ?? "", /timed out/);
    } finally {
      await pool.end();
    }
  });

  test("fails on a pool that was closed", async () => {
    const pool = createPool({ connectionString: db.url });
    await pool.end();
    const health = createHealth({ checks: [postgresCheck(pool)] });
    await health.refresh();
    assert.match(health.snapshot().checks[0]?.output ?? "", /after calling end on the pool/);
  });

  test("a timed-out query leaves no busy client in the pool", async () => {
    await withPool({ max: 2 }, async (pool) => {
      const health = createHealth({
        checks: [postgresCheck(pool, { query: "select pg_sleep(5)", timeoutMs: 100 })],
      });
      await health.refresh();
      const [view] = health.snapshot().checks;
      assert.equal(view?.status, "fail");
      // Either bound may win the race: the client-side abort or the server's statement_timeout.
      assert.match(view?.output ?? "", /timed out after 100 ms|statement timeout/);
      assert.equal(pool.totalCount, pool.idleCount, "a client is still checked out");
      assert.equal(pool.waitingCount, 0);
      const { rows } = await pool.query<{ one: number }>("select 1 as one");
      assert.equal(rows[0]?.one, 1);
    });
  });

  // The timeout only turns a regression (the client never handed back) into a failure instead of a hang.
  test(
    "a check that timed out waiting for a client hands it back when it arrives",
    { timeout: 20_000 },
    async () => {
      await withPool({ max: 1 }, async (pool) => {
        const held = await pool.connect();
        const health = createHealth({ checks: [postgresCheck(pool, { timeoutMs: 50 })] });
        await health.refresh();
        assert.equal(health.snapshot().checks[0]?.output, "timed out after 50 ms");
        assert.equal(pool.waitingCount, 1);

        // The held client goes to the check's queued connect, which must release it at once.
        let releases = 0;
        const bothReleased = new Promise<void>((resolve) => {
          pool.on("release", () => {
            if (++releases === 2) resolve();
          });
        });
        held.release();
        await bothReleased;
        assert.equal(pool.waitingCount, 0);
        assert.equal(pool.totalCount, pool.idleCount);
      });
    },
  );
});
