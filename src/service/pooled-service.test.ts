import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import pg from "pg";
import { PGBOUNCER_MISSING, startPgbouncer, type Pgbouncer } from "../../test/pgbouncer.js";
import { createBackupAdmin } from "../backup/index.js";
import { OpskitError } from "../errors.js";
import { defineTask } from "../jobs/index.js";
import { waitUntil, withTestDb } from "../testing/index.js";
import { createLogger } from "../log/index.js";
import { startService } from "./create-service.js";
import { resolveSessionDatabase } from "./session-database.js";

// The service's roles through a real pgbouncer in transaction mode (two
// server connections), with OPSKIT_DATABASE_DIRECT_URL for the work that
// needs one server session (LISTEN, the alerts leader lock, migrations).

const env = (pooled: string, role: string, extra: Record<string, string> = {}) => ({
  DATABASE_URL: pooled,
  PORT: "0",
  HOST: "127.0.0.1",
  LOG_LEVEL: "info",
  NODE_ENV: "test",
  OPSKIT_ROLE: role,
  // Ten minutes: a job runs promptly only if a notification on the direct connection woke the worker.
  OPSKIT_JOBS_POLL_INTERVAL: "10m",
  OPSKIT_SHUTDOWN_DRAIN_DELAY: "0",
  ...extra,
});

/** Log lines, to check that no password reaches them. */
function logSink() {
  const lines: string[] = [];
  return { lines, destination: { write: (line: string) => void lines.push(line) } };
}

async function withBouncer(
  fn: (o: {
    direct: pg.Client;
    url: string;
    bouncer: Pgbouncer;
    password: string;
  }) => Promise<void>,
) {
  await withTestDb(async (db) => {
    const bouncer = await startPgbouncer(db.url, { poolMode: "transaction", poolSize: 2 });
    const direct = new pg.Client({ connectionString: db.url, application_name: "test-observer" });
    await direct.connect();
    try {
      await fn({
        direct,
        url: db.url,
        bouncer,
        password: decodeURIComponent(new URL(db.url).password),
      });
    } finally {
      await direct.end();
      await bouncer.stop();
    }
  });
}

/** Client sessions on the test's database by application_name (the observer's own left out). */
async function sessions(direct: pg.Client): Promise<Record<string, number>> {
  const { rows } = await direct.query<{ name: string; n: number }>(
    `select application_name as name, count(*)::int as n from pg_stat_activity
      where datname = current_database() and backend_type = 'client backend' and pid <> pg_backend_pid()
      group by 1 order by 1`,
  );
  return Object.fromEntries(rows.map((r) => [r.name, r.n]));
}

const LEADER_SQL = `select count(*)::int as n from pg_locks l join pg_stat_activity a using (pid)
  where l.locktype = 'advisory' and l.granted and a.application_name = 'opskit-alerts-leader'`;

for (const role of ["worker", "all"] as const) {
  test(
    `role ${role} through pgbouncer (transaction mode) with OPSKIT_DATABASE_DIRECT_URL: boots, LISTEN wakes the worker on the direct connection, the alerts leader is elected, shutdown is clean`,
    { skip: PGBOUNCER_MISSING },
    async () => {
      await withBouncer(async ({ direct, url, bouncer, password }) => {
        const logs = logSink();
        // Role migrate first: the migration lock is a session advisory lock, taken on the direct URL.
        const migrate = await startService({
          name: "svc",
          version: "1.0.0",
          env: env(bouncer.url, "migrate", { OPSKIT_DATABASE_DIRECT_URL: url }),
          logDestination: logs.destination,
        });
        assert.equal(migrate.sessionUrl, url);
        assert.equal(await migrate.stop(), true);

        const ran: string[] = [];
        const note = defineTask("note", async (p: { text: string }) => void ran.push(p.text));
        const service = await startService({
          name: "svc",
          version: "1.0.0",
          jobs: () => ({ tasks: [note] }),
          env: env(bouncer.url, role, {
            OPSKIT_DATABASE_DIRECT_URL: url,
            OPSKIT_ALERTS_EVALUATION_INTERVAL: "100ms",
          }),
          logDestination: logs.destination,
        });
        let stopped = false;
        try {
          assert.equal(service.sessionUrl, url);
          assert.equal(service.preparedStatements, false, "no named statements through the pooler");
          await waitUntil(
            async () =>
              (
                await direct.query(
                  "select 1 from pg_stat_activity where application_name = 'opskit-jobs-listener' and query ilike 'listen%'",
                )
              ).rowCount === 1,
            "the worker listens on the direct connection",
          );
          await waitUntil(
            async () => (await direct.query<{ n: number }>(LEADER_SQL)).rows[0]!.n === 1,
            "the alerts leader holds its lock on the direct connection",
          );
          // Enqueued through the pooler (the queue's pool); the worker's poll is ten minutes away.
          const { id } = await service.queue.add(note, { text: "woken" });
          await waitUntil(
            async () => (await service.queue.get(id))?.state === "completed",
            "the job ran and its outcome was written",
          );
          assert.deepEqual(ran, ["woken"]);

          // The budget on the direct URL: one listener and one leader session, nothing else
          // (the pool's sessions are pgbouncer's two server connections, whatever their name).
          const now = await sessions(direct);
          assert.equal(now["opskit-jobs-listener"], 1);
          assert.equal(now["opskit-alerts-leader"], 1);
          const total = Object.values(now).reduce((a, b) => a + b, 0);
          assert.ok(
            total <= 2 + 2,
            `at most pgbouncer's 2 + 2 direct sessions: ${JSON.stringify(now)}`,
          );

          const health = (await (await fetch(`${service.url}/health`)).json()) as {
            status: string;
          };
          assert.equal(health.status, "pass");
          stopped = true;
          assert.equal(await service.stop(), true, "shutdown is clean");
        } finally {
          if (!stopped) await service.stop();
        }
        await waitUntil(async () => {
          const left = await sessions(direct);
          return !left["opskit-jobs-listener"] && !left["opskit-alerts-leader"];
        }, "the direct sessions are closed");
        assert.ok(logs.lines.some((l) => l.includes('"pooler":"transaction"')));
        assert.ok(!logs.lines.some((l) => l.includes(password)), "no password in the logs");
      });
    },
  );
}

test(
  "without OPSKIT_DATABASE_DIRECT_URL the worker role refuses the transaction pooler, naming the variable and no password; role api boots with prepared statements off",
  { skip: PGBOUNCER_MISSING },
  async () => {
    await withBouncer(async ({ bouncer, password }) => {
      const logs = logSink();
      const options = { name: "svc", version: "1.0.0", logDestination: logs.destination };
      const refused = await startService({ ...options, env: env(bouncer.url, "worker") }).then(
        () => undefined,
        (error: unknown) => error,
      );
      assert.ok(refused instanceof OpskitError, String(refused));
      assert.equal(refused.code, "POOLER_TRANSACTION_MODE");
      assert.match(refused.message, /OPSKIT_DATABASE_DIRECT_URL/);
      assert.ok(!refused.message.includes(password), refused.message);
      assert.ok(!JSON.stringify(refused.details).includes(password));

      const api = await startService({ ...options, env: env(bouncer.url, "api") });
      try {
        assert.equal(api.preparedStatements, false);
        assert.equal(api.sessionUrl, bouncer.url);
      } finally {
        assert.equal(await api.stop(), true);
      }
      assert.ok(!logs.lines.some((l) => l.includes(password)), "no password in the logs");
    });
  },
);

test(
  "a direct URL that goes through the transaction pooler too, or to another database, is refused naming the variable",
  { skip: PGBOUNCER_MISSING },
  async () => {
    await withBouncer(async ({ direct, url, bouncer, password }) => {
      const logs = logSink();
      const start = (directUrl: string) =>
        startService({
          name: "svc",
          version: "1.0.0",
          env: env(bouncer.url, "worker", { OPSKIT_DATABASE_DIRECT_URL: directUrl }),
          logDestination: logs.destination,
        }).then(
          () => undefined,
          (error: unknown) => error,
        );
      const pooled = await start(bouncer.url);
      assert.ok(pooled instanceof OpskitError, String(pooled));
      assert.equal(pooled.code, "POOLER_TRANSACTION_MODE");
      assert.match(
        pooled.message,
        /^OPSKIT_DATABASE_DIRECT_URL .* goes through a transaction-mode pooler/,
      );
      assert.ok(!pooled.message.includes(password), pooled.message);

      await direct.query("create database pooled_service_other");
      try {
        const other = new URL(url);
        other.pathname = "/pooled_service_other";
        const wrong = await start(other.toString());
        assert.ok(wrong instanceof OpskitError, String(wrong));
        assert.equal(wrong.code, "CONFIG_INVALID");
        assert.match(wrong.message, /OPSKIT_DATABASE_DIRECT_URL/);
        assert.ok(!JSON.stringify(wrong.details).includes(password));
      } finally {
        await direct.query("drop database pooled_service_other");
      }

      const unreachable = new URL(url);
      unreachable.port = "1";
      const down = await start(unreachable.toString());
      assert.ok(down instanceof OpskitError, String(down));
      assert.equal(down.code, "DB_CONNECT_FAILED");
      assert.match(down.message, /^OPSKIT_DATABASE_DIRECT_URL: /);
      assert.ok(!down.message.includes(password), down.message);
      assert.ok(!logs.lines.some((l) => l.includes(password)), "no password in the logs");
    });
  },
);

test(
  "a scheduled backup's job, in role worker behind the transaction pooler, dumps through the direct URL",
  { skip: PGBOUNCER_MISSING },
  async () => {
    await withBouncer(async ({ direct, url, bouncer }) => {
      const dir = await mkdtemp(path.join(os.tmpdir(), "opskit-pooled-backup-"));
      await direct.query("create table pastries (id int primary key, name text)");
      await direct.query("insert into pastries values (1, 'croissant'), (2, 'eclair')");
      const service = await startService({
        name: "svc",
        version: "1.0.0",
        env: env(bouncer.url, "worker", {
          OPSKIT_DATABASE_DIRECT_URL: url,
          OPSKIT_BACKUP_DIR: dir,
          OPSKIT_JOBS_POLL_INTERVAL: "100ms",
          LOG_LEVEL: "silent",
        }),
      });
      // One of pgbouncer's two server connections stays in another client's transaction:
      // the worker's pool has the other, and the backup's snapshot transaction and pg_dump
      // must take none (through the pooler, the snapshot would hold the last one and
      // pg_dump would wait for it, with the worker's heartbeats behind them).
      const holder = new pg.Client({ connectionString: bouncer.url });
      await holder.connect();
      await holder.query("begin");
      await holder.query("select 1");
      try {
        const backup = await service.queue.add("opskit.backup.create", {});
        await waitUntil(async () => {
          const state = (await service.queue.get(backup.id))?.state;
          if (state === "dead") throw new Error("the backup job died");
          return state === "completed";
        }, "the backup job completed");
        const admin = createBackupAdmin({ db: service.pool, directory: dir });
        assert.equal((await admin.listBackups()).length, 1);
        const verified = await admin.verify();
        assert.ok(
          verified.checks.every((c) => c.ok),
          JSON.stringify(verified.checks),
        );
        assert.equal(verified.backup.manifest.tables["public.pastries"], 2);
      } finally {
        await holder.query("rollback");
        await holder.end();
        assert.equal(await service.stop(), true);
        await rm(dir, { recursive: true, force: true });
      }
    });
  },
);

test("a direct URL without DATABASE_URL (an embedded Postgres) is refused, its value not shown", async () => {
  const secret = "Dir3ctS3cret-42";
  const refused = await resolveSessionDatabase({
    databaseUrl: "postgres://postgres:embedded@127.0.0.1:1/svc",
    directUrl: `postgres://app:${secret}@db.internal:5432/app`,
    embedded: true,
    role: "worker",
    log: createLogger({ level: "silent" }),
  }).then(
    () => undefined,
    (error: unknown) => error,
  );
  assert.ok(refused instanceof OpskitError, String(refused));
  assert.equal(refused.code, "CONFIG_INVALID");
  assert.match(refused.message, /OPSKIT_DATABASE_DIRECT_URL/);
  assert.ok(!JSON.stringify(refused.details).includes(secret));
});
