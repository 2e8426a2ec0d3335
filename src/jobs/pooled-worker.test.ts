import assert from "node:assert/strict";
import { test } from "node:test";
import { PGBOUNCER_MISSING, startPgbouncer } from "../../test/pgbouncer.js";
import { count, waitUntil, withPool } from "../../test/jobs.js";
import { createPool, probePoolerMode } from "../db/index.js";
import { createQueue } from "./create-queue.js";
import { defineTask } from "./define-task.js";

test(
  "through pgbouncer in transaction mode (prepared statements off, listening on a direct connection), workers run every job once and lose none",
  { skip: PGBOUNCER_MISSING },
  async () => {
    await withPool(async (direct, db) => {
      // Two server connections shared by every pooled client of both workers.
      const bouncer = await startPgbouncer(db.url, { poolMode: "transaction", poolSize: 2 });
      const pooled = createPool({ connectionString: bouncer.url, max: 8 });
      try {
        assert.equal((await probePoolerMode(bouncer.url)).mode, "transaction");
        await direct.query(
          "create table runs (job_id bigint not null, attempt integer not null, primary key (job_id, attempt))",
        );
        const record = async (id: string, attempt: number) => {
          await pooled.query("insert into runs values ($1, $2)", [id, attempt]);
        };
        // Every 7th job fails its first attempt and is retried at once (the retry path, its wake-up).
        const flaky = defineTask(
          "flaky",
          async (p: { n: number }, ctx) => {
            await record(ctx.id, ctx.attempt);
            if (p.n % 7 === 0 && ctx.attempt === 1) throw new Error("first attempt fails");
          },
          { backoff: { type: "fixed", delayMs: 0 } },
        );
        // A queue with a global concurrency limit: its claim is a transaction of three statements.
        const limited = defineTask(
          "limited",
          async (_p: unknown, ctx) => record(ctx.id, ctx.attempt),
          { queue: "limited" },
        );
        const queue = createQueue({
          pool: pooled,
          tasks: [flaky, limited],
          preparedStatements: false,
        });
        const options = {
          concurrency: 8,
          listenUrl: db.url,
          pollIntervalMs: 200,
          queues: ["default", { name: "limited", globalConcurrency: 3 }],
        };
        const workers = [queue.work(options), queue.work({ ...options, maintenance: false })];
        await Promise.all(workers.map((w) => w.ready()));
        const total = 2_000;
        await queue.addMany(
          Array.from({ length: total }, (_, n) => ({ task: flaky, payload: { n } })),
        );
        await queue.addMany(Array.from({ length: 200 }, () => ({ task: limited, payload: {} })));
        const done = () => count(direct, "select 1 from opskit.job_history");
        await waitUntil(async () => (await done()) === total + 200, "every job completed");

        assert.ok(await queue.close(5_000));

        // A job added to a quiet queue is woken by a notification on the direct connection:
        // this worker's backstop poll is 10 minutes away.
        const quiet = queue.work({ ...options, pollIntervalMs: 600_000, maintenance: false });
        await quiet.ready();
        await waitUntil(
          async () =>
            (await count(
              direct,
              "select 1 from pg_stat_activity where application_name = 'opskit-jobs-listener' and query ilike 'listen%'",
            )) === 1,
          "the quiet worker listens",
        );
        await queue.add(limited, {});
        await waitUntil(async () => (await done()) === total + 201, "the late job ran");
        assert.equal(await count(direct, "select 1 from opskit.jobs"), 0);
        assert.equal(await count(direct, "select 1 from opskit.dead_jobs"), 0);
        assert.equal(
          await count(direct, "select distinct job_id from runs"),
          total + 201,
          "every job ran",
        );
        assert.equal(
          await count(direct, "select 1 from runs where attempt > 1"),
          Math.ceil(total / 7),
          "only the failed first attempts ran again",
        );
        assert.equal(
          await count(
            direct,
            "select 1 from opskit.job_history where task = 'flaky' and attempts <> case when (payload->>'n')::int % 7 = 0 then 2 else 1 end",
          ),
          0,
        );
        // The pooled connections shared two server sessions; the worker held one of its own to listen.
        const { rows } = await direct.query<{ n: number }>(
          "select count(*)::int as n from pg_stat_activity where datname = current_database() and application_name = 'opskit-jobs-listener'",
        );
        assert.equal(rows[0]!.n, 1);
        assert.ok(await queue.close(5_000));
      } finally {
        await pooled.end();
        await bouncer.stop();
      }
    });
  },
);
