import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { after, test } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import pg from "pg";
import { createTestDatabase } from "../../test/db.js";
import { findLockHolder, lockKeyOf, migrate } from "./index.js";

// Crash tests: a runner in a real process, killed (or frozen) while it holds
// the migration lock; the next run must succeed with no manual step.
const db = await createTestDatabase({ empty: true });
const tmp = await mkdtemp(path.join(os.tmpdir(), "opskit-lock-recovery-"));
const children: ChildProcess[] = [];
after(async () => {
  for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
  await db.drop();
  await rm(tmp, { recursive: true, force: true });
});

function runner(args: string[], env: Record<string, string> = {}) {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "test/fixtures/migrate-runner.ts", ...args],
    {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  children.push(child);
  const events: Record<string, unknown>[] = [];
  const waiters: { event: string; resolve: (e: Record<string, unknown>) => void }[] = [];
  createInterface({ input: child.stdout }).on("line", (line) => {
    const event = JSON.parse(line) as Record<string, unknown>;
    events.push(event);
    for (const w of waiters) if (w.event === event.event) w.resolve(event);
  });
  const next = (event: string) =>
    new Promise<Record<string, unknown>>((resolve) => {
      const seen = events.find((e) => e.event === event);
      if (seen) resolve(seen);
      else waiters.push({ event, resolve });
    });
  return { child, next };
}

async function kill(child: ChildProcess, signal: NodeJS.Signals = "SIGKILL") {
  const exited = once(child, "exit");
  child.kill(signal);
  await exited;
}

async function dir(name: string, files: Record<string, string>): Promise<string> {
  const d = path.join(tmp, name);
  await mkdir(d, { recursive: true });
  for (const [file, sql] of Object.entries(files)) await writeFile(path.join(d, file), sql);
  return d;
}

async function query<T extends pg.QueryResultRow>(
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

/** Polls pg_stat_activity (an observed state change, not a timed wait) until `predicate` holds. */
async function until(what: string, predicate: () => Promise<boolean>, limitMs = 20_000) {
  const deadline = Date.now() + limitMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}`);
    await delay(50);
  }
}

async function holder() {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    return await findLockHolder(client, lockKeyOf({}));
  } finally {
    await client.end();
  }
}

test("a runner SIGKILLed while idle with the lock: the next run takes the lock at once", async () => {
  const held = runner(["hold", db.url]);
  await held.next("locked");
  assert.equal((await holder())?.application_name, "opskit-migrate");
  await kill(held.child);
  const d = await dir("after-idle-kill", { "0001_a.sql": "create table after_idle (id int);" });
  const { error } = await migrate({
    connectionString: db.url,
    sources: [{ source: "app", dir: d }],
    lockWaitMs: 5_000,
  });
  assert.equal(error, undefined);
});

test("a runner SIGKILLed during a long statement: the server notices within the check interval", async () => {
  const slow = await dir("slow", { "0001_slow.sql": "select pg_sleep(120);" });
  const up = runner(["up", db.url, slow]);
  await until(
    "the runner's pg_sleep is active",
    async () =>
      (
        await query(
          "select 1 from pg_stat_activity where application_name = 'opskit-migrate' and state = 'active' and query like '%pg_sleep(120)%'",
        )
      ).length > 0,
  );
  await kill(up.child);
  // Without client_connection_check_interval the backend would sleep on with the lock for two
  // minutes; the next run gives up after 15 s.
  const d = await dir("after-statement-kill", {
    "0001_b.sql": "create table after_statement (id int);",
  });
  const { error } = await migrate({
    connectionString: db.url,
    sources: [{ source: "app2", dir: d }],
    lockWaitMs: 15_000,
  });
  assert.equal(error, undefined);
  assert.deepEqual(
    await query(
      "select name from opskit.schema_migrations where source = 'app' and name = '0001_slow.sql'",
    ),
    [],
  );
});

test("a frozen runner (its machine gone, socket open): the next run terminates the stale holder and audits it", async () => {
  const held = runner(["hold", db.url]);
  const { pid } = (await held.next("locked")) as { pid: number };
  held.child.kill("SIGSTOP");
  try {
    const d = await dir("after-freeze", { "0001_c.sql": "create table after_freeze (id int);" });
    const terminated: number[] = [];
    const waits: string[] = [];
    const { error } = await migrate({
      connectionString: db.url,
      sources: [{ source: "app3", dir: d }],
      lockWaitMs: 15_000,
      staleLockMs: 1_000,
      onLockWait: (h) => waits.push(`${h?.pid} ${h?.application_name} ${h?.state}`),
      onStaleLockTerminated: (h) => terminated.push(h.pid),
    });
    assert.equal(error, undefined);
    assert.deepEqual(terminated, [pid]);
    assert.ok(
      waits.every((w) => w === `${pid} opskit-migrate idle`),
      waits.join("; "),
    );
    const audit = await query<{ target: string }>(
      "select target from opskit.audit_log where action = 'migrate.terminate_stale_lock_holder'",
    );
    assert.deepEqual(audit, [{ target: `pid ${pid}` }]);
  } finally {
    await kill(held.child);
  }
});

test("a frozen runner's lock is also released by the server itself (idle_session_timeout)", async () => {
  const held = runner(["hold", db.url], { IDLE_SESSION_TIMEOUT_MS: "1000" });
  await held.next("locked");
  held.child.kill("SIGSTOP");
  try {
    await until("the server ended the idle session", async () => (await holder()) === undefined);
  } finally {
    await kill(held.child);
  }
});
