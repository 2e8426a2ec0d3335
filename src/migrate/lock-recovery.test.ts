import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { migrationDirs, queryRows } from "../../test/helpers.js";
import { after, test } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import pg from "pg";
import { createTestDatabase } from "../../test/db.js";
import { findLockHolder, lockKeyOf, migrate } from "./index.js";

// Crash tests: a runner in a real process, killed (or frozen) while it holds
// the migration lock; the next run must succeed with no manual step.
const db = await createTestDatabase({ empty: true });
const dirs = await migrationDirs();
const children: ChildProcess[] = [];
after(async () => {
  for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
  await db.drop();
  await dirs.remove();
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
  const d = await dirs.dir("after-idle-kill", {
    "0001_a.sql": "create table after_idle (id int);",
  });
  const { error } = await migrate({
    connectionString: db.url,
    sources: [{ source: "app", dir: d }],
    lockWaitMs: 5_000,
  });
  assert.equal(error, undefined);
});

test("a runner SIGKILLed during a long statement: the server notices within the check interval", async () => {
  const slow = await dirs.dir("slow", { "0001_slow.sql": "select pg_sleep(120);" });
  const up = runner(["up", db.url, slow]);
  await until(
    "the runner's pg_sleep is active",
    async () =>
      (
        await queryRows(
          db.url,
          "select 1 from pg_stat_activity where application_name = 'opskit-migrate' and state = 'active' and query like '%pg_sleep(120)%'",
        )
      ).length > 0,
  );
  await kill(up.child);
  // Without client_connection_check_interval the backend would sleep on with the lock for two
  // minutes; the next run gives up after 15 s.
  const d = await dirs.dir("after-statement-kill", {
    "0001_b.sql": "create table after_statement (id int);",
  });
  const { error } = await migrate({
    connectionString: db.url,
    sources: [{ source: "app2", dir: d }],
    lockWaitMs: 15_000,
  });
  assert.equal(error, undefined);
  assert.deepEqual(
    await queryRows(
      db.url,
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
    const d = await dirs.dir("after-freeze", {
      "0001_c.sql": "create table after_freeze (id int);",
    });
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
    const audit = await queryRows<{ target: string }>(
      db.url,
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

test("a runner SIGKILLed during CREATE INDEX CONCURRENTLY: the next run drops the INVALID index and builds it", async () => {
  // The build is slow while the flag table says so: one sleep per row through an expression index.
  const setup = await dirs.dir("cic-setup", {
    "0001_setup.sql": `
      create table cic_slow (id int);
      insert into cic_slow select generate_series(1, 2000);
      create table cic_go_fast (yes boolean);
      create function cic_key(i int) returns int immutable language sql
        as $$ select i + (select count(*) from pg_sleep(case when to_regclass('public.cic_fast_now') is null then 0.02 else 0 end))::int * 0 $$;`,
  });
  assert.equal(
    (await migrate({ connectionString: db.url, sources: [{ source: "cic-setup", dir: setup }] }))
      .error,
    undefined,
  );
  const build = await dirs.dir("cic-build", {
    "0001_index.sql": "create index concurrently cic_slow_key on cic_slow (cic_key(id));\n",
  });
  const up = runner(["up", db.url, build]);
  await until(
    "the concurrent build is under way",
    async () =>
      (
        await queryRows(
          db.url,
          "select 1 from pg_stat_progress_create_index p join pg_class c on c.oid = p.relid where c.relname = 'cic_slow'",
        )
      ).length > 0,
  );
  await kill(up.child);
  await until(
    "the server cancelled the build and left the index INVALID",
    async () =>
      (
        await queryRows(
          db.url,
          "select 1 from pg_index i join pg_class c on c.oid = i.indexrelid where c.relname = 'cic_slow_key' and not i.indisvalid and not exists (select 1 from pg_stat_progress_create_index)",
        )
      ).length > 0,
  );
  await queryRows(db.url, "create table cic_fast_now ()");
  const notes: string[][] = [];
  const { error } = await migrate({
    connectionString: db.url,
    sources: [{ source: "app", dir: build }],
    lockWaitMs: 15_000,
    onApplied: (r) => notes.push(r.notes),
  });
  assert.equal(error, undefined, error?.message);
  assert.match(notes.flat().join("\n"), /dropped the INVALID index public\.cic_slow_key/);
  assert.deepEqual(
    await queryRows(
      db.url,
      "select i.indisvalid as valid from pg_index i where i.indexrelid = 'cic_slow_key'::regclass",
    ),
    [{ valid: true }],
  );
});

test("a runner SIGKILLed in the middle of a no-transaction file: the next run resumes after the statements it finished", async () => {
  const d = await dirs.dir("steps", {
    "0001_steps.sql": [
      "-- opskit:no-transaction",
      "create table steps_one (id int);",
      "select pg_sleep(case when to_regclass('public.steps_go') is null then 120 else 0 end);",
      "create table steps_two (id int);",
      "",
    ].join("\n"),
  });
  const up = runner(["up", db.url, d]);
  await until(
    "the first statement is recorded and the second is running",
    async () =>
      (
        await queryRows(
          db.url,
          "select 1 from opskit.schema_migration_progress p, pg_stat_activity a where p.name = '0001_steps.sql' and p.statements_done = 1 and a.application_name = 'opskit-migrate' and a.state = 'active' and a.query like '%pg_sleep%'",
        )
      ).length > 0,
  );
  await kill(up.child);
  await queryRows(db.url, "create table steps_go ()");
  // Re-running statement 1 would fail (steps_one exists): success proves the resume.
  const { error, results } = await migrate({
    connectionString: db.url,
    sources: [{ source: "app", dir: d }],
    lockWaitMs: 15_000,
  });
  assert.equal(error, undefined, error?.message);
  assert.deepEqual(
    results.map((r) => [r.name, r.status, r.transactional]),
    [["0001_steps.sql", "applied", false]],
  );
  assert.deepEqual(await queryRows(db.url, "select 1 from pg_class where relname = 'steps_two'"), [
    { "?column?": 1 },
  ]);
});
