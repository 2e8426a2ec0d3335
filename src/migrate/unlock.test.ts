import assert from "node:assert/strict";
import { captureOutput } from "../../test/helpers.js";
import { after, test } from "node:test";
import pg from "pg";
import { createTestDatabase } from "../../test/db.js";
import { runCli } from "../cli/index.js";
import { acquireMigrationLock } from "./migration-lock.js";
import { openRunnerSession } from "./runner-session.js";
import { findLockHolder, lockKeyOf, PRISMA_LOCK_KEY, unlockMigrations } from "./index.js";

const db = await createTestDatabase();
after(() => db.drop());

async function connect(applicationName: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: db.url, application_name: applicationName });
  client.on("error", () => undefined); // a terminated session errors; that is the point
  await client.connect();
  return client;
}

async function holdLock(client: pg.ClientBase) {
  await acquireMigrationLock(client, {
    key: lockKeyOf({}),
    timeoutMs: 1_000,
    staleMs: 0,
    onWait: () => undefined,
    onStaleTerminated: () => undefined,
  });
}

async function currentHolder() {
  const client = await connect("probe");
  try {
    return await findLockHolder(client, lockKeyOf({}));
  } finally {
    await client.end();
  }
}

test("a free lock: nothing to do, exit 0", async () => {
  const outcome = await unlockMigrations({ connectionString: db.url, staleSeconds: 0 });
  assert.deepEqual(outcome, {
    holder: undefined,
    terminated: false,
    reason: "the migration lock is free",
    prisma: undefined,
  });
  const run = captureOutput();
  assert.equal(await runCli(["migrate", "unlock", "--database-url", db.url], run.io), 0);
  assert.match(run.out.join("\n"), /free/);
});

test("a holder that is not the runner's is never terminated", async () => {
  const other = await connect("someone-else");
  try {
    await holdLock(other);
    const outcome = await unlockMigrations({ connectionString: db.url, staleSeconds: 0 });
    assert.equal(outcome.terminated, false);
    assert.match(outcome.reason, /application_name is "someone-else"/);
    assert.equal((await currentHolder())?.application_name, "someone-else");
  } finally {
    await other.end();
  }
});

test("a runner at work, or idle for less than --stale, is left alone", async () => {
  const { client } = await openRunnerSession(db.url);
  client.on("error", () => undefined);
  try {
    await holdLock(client);
    const fresh = await unlockMigrations({ connectionString: db.url, staleSeconds: 3600 });
    assert.equal(fresh.terminated, false);
    assert.match(fresh.reason, /under --stale 3600/);
    const sleeping = client.query("select pg_sleep(1.5)");
    const busy = await (async () => {
      for (;;) {
        const h = await currentHolder();
        if (h?.state === "active")
          return unlockMigrations({ connectionString: db.url, staleSeconds: 0 });
      }
    })();
    assert.equal(busy.terminated, false);
    assert.match(busy.reason, /runner is active/);
    await sleeping;
  } finally {
    await client.end();
  }
});

test("an idle runner past --stale is terminated, printed and audited; Prisma's lock gets advice", async () => {
  const { client } = await openRunnerSession(db.url);
  client.on("error", () => undefined);
  const prisma = await connect("prisma-migrate");
  try {
    await holdLock(client);
    await prisma.query("select pg_advisory_lock($1)", [PRISMA_LOCK_KEY]);
    const { rows } = await client.query<{ pid: number }>("select pg_backend_pid() as pid");
    const pid = rows[0]?.pid;
    const run = captureOutput();
    assert.equal(
      await runCli(["migrate", "unlock", "--stale", "0", "--database-url", db.url], run.io),
      0,
    );
    assert.match(
      run.out.join("\n"),
      new RegExp(`holder: pid ${pid} \\(opskit-migrate, idle for \\d+ s`),
    );
    assert.match(run.out.join("\n"), /terminated: a runner session idle/);
    assert.match(
      run.err.join("\n"),
      /Prisma Migrate's lock \(72707369\) is held by pid \d+.*pg_terminate_backend/,
    );
    assert.equal(await currentHolder(), undefined);
    const audit = await prisma.query<{ action: string; target: string }>(
      "select action, target from opskit.audit_log where action = 'migrate.unlock'",
    );
    assert.deepEqual(audit.rows, [{ action: "migrate.unlock", target: `pid ${pid}` }]);
  } finally {
    await client.end().catch(() => undefined);
    await prisma.end();
  }
});
