import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, test } from "node:test";
import pg from "pg";
import { consoleClient, mountAt, type ConsoleClient } from "../../test/console.js";
import { createTestDatabase, type TestDatabase } from "../../test/db.js";
import { createPool, type Pool } from "../db/index.js";
import { createQueue, defineTask, type Queue } from "../jobs/index.js";
import { createConsole, type Console } from "./index.js";
import type { ConsoleAction } from "./permissions.js";

/*
 * The invariant of the console's actions: the effect and its audit row
 * commit together or not at all. Every route in `actions` is posted twice:
 * once as is (the effect and a success row are both there), once with a
 * trigger that refuses every success row of the audit log (neither is).
 */

const ADMIN = "a".repeat(32);
const task = defineTask<{ n: number }>("atomic", async () => undefined);

let db: TestDatabase;
let pool: Pool;
let queue: Queue;
let opsConsole: Console;
let seq = 0;

before(async () => {
  db = await createTestDatabase();
  pool = createPool({ connectionString: db.url, max: 20 });
  queue = createQueue({ pool, tasks: [task] });
  opsConsole = createConsole({
    pool,
    development: false,
    credentials: { adminTokens: [ADMIN] },
    sampleIntervalMs: 0,
  });
  // Refuses the rows that say an action happened; denials and errors pass,
  // so the failure row the router writes afterwards can be checked too.
  await pool.query(`
    create function opskit_test_refuse_audit() returns trigger language plpgsql as $$
    begin
      if new.result not like 'error:%' and new.result not like 'denied%' then
        raise exception 'audit_log refused by the test';
      end if;
      return new;
    end $$`);
});
after(async () => {
  await opsConsole.close();
  await pool.end();
  await db.drop();
});

interface Prepared {
  path: string;
  form: Record<string, string>;
  /** True once the action's effect is in the database (or on the target backend). */
  done(): Promise<boolean>;
  cleanUp?(): Promise<void>;
}

const one = async (sql: string, values: unknown[] = []) =>
  (await pool.query<{ v: unknown }>(sql, values)).rows[0]?.v;

async function readyJob(q: string): Promise<string> {
  const added = await queue.add(
    task,
    { n: 1 },
    { queue: q, runAt: new Date(Date.now() + 3600_000) },
  );
  return added.id;
}

async function deadJob(q: string): Promise<string> {
  const id = await readyJob(q);
  await pool.query(
    `with d as (delete from opskit.jobs where id = $1 returning *)
     insert into opskit.dead_jobs select d.*, now() from d`,
    [id],
  );
  return id;
}

const jobState = (id: string) =>
  one(
    `select coalesce((select state from opskit.jobs where id = $1),
                     (select 'dead' from opskit.dead_jobs where id = $1),
                     (select state from opskit.job_history where id = $1),
                     'gone') as v`,
    [id],
  );

async function source(name: string, paused: boolean): Promise<void> {
  await pool.query(
    `insert into opskit.inbox_sources (name, verifier, paused) values ($1, 'hmac', $2)`,
    [name, paused],
  );
}

async function processedEvent(name: string): Promise<string> {
  return String(
    await one(
      `insert into opskit.inbox_events (source, dedupe_key, status, body, body_bytes)
       values ($1, $2, 'processed', '\\x7b7d', 2) returning id::text as v`,
      [name, randomUUID()],
    ),
  );
}

/** A backend waiting on an advisory lock the test holds: something to cancel or terminate. */
async function waitingBackend(): Promise<{
  pid: number;
  outcome: Promise<"finished" | "cancelled" | "terminated">;
  release(): Promise<void>;
}> {
  const holder = new pg.Client({ connectionString: db.url });
  const target = new pg.Client({ connectionString: db.url });
  await holder.connect();
  await target.connect();
  target.on("error", () => undefined);
  const key = ++seq;
  await holder.query("select pg_advisory_lock($1)", [key]);
  const outcome = target.query("select pg_advisory_lock($1)", [key]).then(
    () => "finished" as const,
    (e: { code?: string }) =>
      e.code === "57014" ? ("cancelled" as const) : ("terminated" as const),
  );
  const pid = (target as unknown as { processID: number }).processID;
  // Waiting on the lock, as seen by the server, before the console is asked.
  for (;;) {
    const waiting = await one(
      "select wait_event_type = 'Lock' as v from pg_stat_activity where pid = $1",
      [pid],
    );
    if (waiting === true) break;
  }
  return {
    pid,
    outcome,
    release: async () => {
      await holder.end();
      await outcome;
      await target.end().catch(() => undefined);
    },
  };
}

/** One scenario per action: what to post so that it has a real effect, and how to see it. */
const SCENARIOS: Record<Exclude<ConsoleAction, "console.login">, () => Promise<Prepared>> = {
  "console.logout": async () => {
    const sessions = Number(await one("select count(*)::int as v from opskit.console_sessions"));
    return {
      path: "/ops/logout",
      form: {},
      done: async () =>
        Number(await one("select count(*)::int as v from opskit.console_sessions")) < sessions,
    };
  },
  "jobs.retry": async () => {
    const id = await deadJob(`q${++seq}`);
    return {
      path: `/ops/jobs/${id}/retry`,
      form: {},
      done: async () => (await jobState(id)) === "ready",
    };
  },
  "jobs.cancel": async () => {
    const id = await readyJob(`q${++seq}`);
    return {
      path: `/ops/jobs/${id}/cancel`,
      form: {},
      done: async () => (await jobState(id)) === "cancelled",
    };
  },
  "jobs.delete": async () => {
    const id = await readyJob(`q${++seq}`);
    return {
      path: `/ops/jobs/${id}/delete`,
      form: {},
      done: async () => (await jobState(id)) === "gone",
    };
  },
  "jobs.bulk_retry": async () => {
    const q = `q${++seq}`;
    const id = await deadJob(q);
    return {
      path: "/ops/jobs/bulk/retry",
      form: { queue: q, request_key: randomUUID() },
      done: async () => (await jobState(id)) === "ready",
    };
  },
  "jobs.bulk_cancel": async () => {
    const q = `q${++seq}`;
    const id = await readyJob(q);
    return {
      path: "/ops/jobs/bulk/cancel",
      form: { queue: q, request_key: randomUUID() },
      done: async () => (await jobState(id)) === "cancelled",
    };
  },
  "jobs.bulk_delete": async () => {
    const q = `q${++seq}`;
    const id = await readyJob(q);
    return {
      path: "/ops/jobs/bulk/delete",
      form: { queue: q, request_key: randomUUID() },
      done: async () => (await jobState(id)) === "gone",
    };
  },
  "queues.pause": async () => {
    const q = `q${++seq}`;
    return {
      path: `/ops/queues/${q}/pause`,
      form: {},
      done: async () =>
        (await one("select paused as v from opskit.job_queues where name = $1", [q])) === true,
    };
  },
  "queues.resume": async () => {
    const q = `q${++seq}`;
    await pool.query("insert into opskit.job_queues (name, paused) values ($1, true)", [q]);
    return {
      path: `/ops/queues/${q}/resume`,
      form: {},
      done: async () =>
        (await one("select paused as v from opskit.job_queues where name = $1", [q])) === false,
    };
  },
  "inbox.replay": async () => {
    const name = `s${++seq}`;
    await source(name, false);
    const id = await processedEvent(name);
    return {
      path: `/ops/inbox/events/${id}/replay`,
      form: { reason: "test" },
      done: async () =>
        (await one("select status as v from opskit.inbox_events where id = $1", [id])) ===
        "pending",
    };
  },
  "inbox.bulk_replay": async () => {
    const name = `s${++seq}`;
    await source(name, false);
    const id = await processedEvent(name);
    return {
      path: "/ops/inbox/replay",
      form: {
        source: name,
        until: new Date(Date.now() + 3600_000).toISOString(),
        reason: "test",
        request_key: randomUUID(),
      },
      done: async () =>
        (await one("select status as v from opskit.inbox_events where id = $1", [id])) ===
        "pending",
    };
  },
  "inbox.pause_source": async () => {
    const name = `s${++seq}`;
    await source(name, false);
    return {
      path: `/ops/inbox/sources/${name}/pause`,
      form: { reason: "test" },
      done: async () =>
        (await one("select paused as v from opskit.inbox_sources where name = $1", [name])) ===
        true,
    };
  },
  "inbox.resume_source": async () => {
    const name = `s${++seq}`;
    await source(name, true);
    return {
      path: `/ops/inbox/sources/${name}/resume`,
      form: {},
      done: async () =>
        (await one("select paused as v from opskit.inbox_sources where name = $1", [name])) ===
        false,
    };
  },
  "db.cancel_backend": async () => {
    const backend = await waitingBackend();
    return {
      path: `/ops/database/backends/${backend.pid}/cancel`,
      form: { confirm: "yes" },
      // Released first: a backend told to cancel ends its wait with 57014, one
      // that was not gets the lock and finishes.
      done: async () => {
        await backend.release();
        return (await backend.outcome) === "cancelled";
      },
    };
  },
  "db.terminate_backend": async () => {
    const backend = await waitingBackend();
    return {
      path: `/ops/database/backends/${backend.pid}/terminate`,
      form: { confirm: "yes" },
      done: async () => {
        await backend.release();
        return (await backend.outcome) === "terminated";
      },
    };
  },
};

async function auditRows(action: string, afterId: number) {
  const { rows } = await pool.query<{ result: string }>(
    "select result from opskit.audit_log where action = $1 and id > $2 order by id",
    [action, afterId],
  );
  return rows.map((r) => r.result);
}

const success = (result: string) => !/^(error|denied)/.test(result);
const lastAuditId = async () =>
  Number(await one("select coalesce(max(id), 0)::int as v from opskit.audit_log"));

async function withRefusedAudit<T>(fn: () => Promise<T>): Promise<T> {
  await pool.query(
    `create trigger refuse_audit before insert or update on opskit.audit_log
     for each row execute function opskit_test_refuse_audit()`,
  );
  try {
    return await fn();
  } finally {
    await pool.query("drop trigger refuse_audit on opskit.audit_log");
  }
}

async function loggedIn(): Promise<ConsoleClient> {
  const browser = consoleClient(mountAt(opsConsole));
  assert.equal((await browser.loginWithToken(ADMIN)).status, 303);
  return browser;
}

test("every console action has a scenario in this test", () => {
  for (const action of opsConsole.actions.values())
    if (action !== "console.login") assert.ok(action in SCENARIOS, `no scenario for ${action}`);
});

test("every action commits its effect and its audit row together", async () => {
  for (const action of new Set(opsConsole.actions.values())) {
    if (action === "console.login") continue;
    const browser = await loggedIn();
    const prepared = await SCENARIOS[action]();
    const since = await lastAuditId();
    const res = await browser.post(prepared.path, prepared.form);
    assert.ok(res.status < 500, `${action}: ${res.status}`);
    assert.equal(await prepared.done(), true, `${action}: the effect is there`);
    assert.ok((await auditRows(action, since)).some(success), `${action}: a success audit row`);
  }
});

test("an action whose audit row cannot be written is not done, and its failure is audited", async () => {
  for (const action of new Set(opsConsole.actions.values())) {
    if (action === "console.login") continue;
    const browser = await loggedIn();
    const prepared = await SCENARIOS[action]();
    const since = await lastAuditId();
    const res = await withRefusedAudit(() => browser.post(prepared.path, prepared.form));
    assert.ok(res.status < 500, `${action}: ${res.status}`);
    assert.equal(await prepared.done(), false, `${action}: the effect was rolled back`);
    const rows = await auditRows(action, since);
    assert.equal(rows.filter(success).length, 0, `${action}: no success row (${rows.join("; ")})`);
    assert.ok(
      rows.some((r) => r.startsWith("error:")),
      `${action}: the failure is audited`,
    );
  }
});

test("a login whose audit row cannot be written opens no session", async () => {
  const sessions = async () =>
    Number(await one("select count(*)::int as v from opskit.console_sessions"));
  const browser = consoleClient(mountAt(opsConsole));
  const before = await sessions();
  const res = await withRefusedAudit(() => browser.loginWithToken(ADMIN));
  assert.notEqual(res.status, 303, "not logged in");
  assert.equal(await sessions(), before);
  assert.equal(browser.cookies.has("opskit_console_session"), false);
  assert.equal((await loggedIn()).cookies.has("opskit_console_session"), true);
});

test("a NUL byte in a form field is refused with 400 before anything is done", async () => {
  const browser = await loggedIn();
  const q = `q${++seq}`;
  const since = await lastAuditId();
  const res = await browser.post(`/ops/queues/${q}/pause`, { note: "a\0b" });
  assert.equal(res.status, 400);
  assert.match(res.text, /NUL/);
  assert.equal(
    await one("select paused as v from opskit.job_queues where name = $1", [q]),
    undefined,
  );
  const rows = await auditRows("queues.pause", since);
  assert.deepEqual(rows, ["denied: invalid input"]);
});
