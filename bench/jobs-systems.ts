/**
 * The queues compared by bench/jobs.ts, behind one small interface. Every
 * system gets its own database on the same server, the same no-op handler
 * and the same concurrency (10 handlers per process); "default" means the
 * system's own defaults otherwise.
 */
import {
  Logger as GraphileLogger,
  makeWorkerUtils,
  run as runGraphile,
  runMigrations,
} from "graphile-worker";
import PgBoss from "pg-boss";
import { withBackend, createPostgresBackend } from "bullmq";
import pg from "pg";
import { createPool, type Pool } from "../src/db/index.js";
import { migrate, toolkitMigrationsDir } from "../src/migrate/index.js";
import { createQueue, defineTask } from "../src/jobs/index.js";

export const CONCURRENCY = 10;

export interface Running {
  stop(): Promise<void>;
}

export interface System {
  name: string;
  /** Jobs are acknowledged one by one (true), or per fetched batch. */
  perJobAcks: boolean;
  bulkAdd(n: number, options?: { runAt?: Date }): Promise<void>;
  add(): Promise<void>;
  /**
   * Starts workers whose handler calls onJob for each job (and, except in
   * pg-boss's batch handlers, waits for the promise it returns); resolves
   * once they are polling.
   */
  work(onJob: () => void | Promise<void>): Promise<Running>;
  /** Leaves `n` dead / permanently failed jobs behind (the "dirty table" case). */
  addDead(n: number): Promise<void>;
  /** Removes every pending job (between rounds); keeps dead and future rows when `keepDirt`. */
  clear(keepDirt: boolean): Promise<void>;
  /** ANALYZE of the system's job table, so every system is measured with fresh planner statistics. */
  analyze(): Promise<void>;
  close(): Promise<void>;
}

const silentGraphile = new GraphileLogger(() => () => undefined);

export async function opskitSystem(url: string): Promise<System> {
  const { error } = await migrate({
    connectionString: url,
    sources: [{ source: "opskit", dir: toolkitMigrationsDir }],
  });
  if (error) throw new Error(error.message);
  const pool: Pool = createPool({ connectionString: url, max: 20 });
  let onJob: () => void | Promise<void> = () => undefined;
  const noop = defineTask("noop", async () => onJob());
  const queue = createQueue({ pool, tasks: [noop] });
  return {
    name: "opskit (defaults)",
    perJobAcks: true,
    async bulkAdd(n, o = {}) {
      for (let i = 0; i < n; i += 10_000) {
        const size = Math.min(10_000, n - i);
        await queue.addMany(
          Array.from({ length: size }, () => ({
            task: noop,
            payload: {},
            ...(o.runAt ? { runAt: o.runAt } : {}),
          })),
        );
      }
    },
    add: async () => void (await queue.add(noop, {})),
    async work(cb) {
      onJob = cb;
      const worker = queue.work();
      await worker.ready();
      return { stop: async () => void (await worker.stop()) };
    },
    async addDead(n) {
      await pool.query(
        `insert into opskit.dead_jobs (id, task, queue, attempts, max_attempts, errors)
         select nextval('opskit.jobs_id_seq'), 'noop', 'default', 10, 10, '[{"message":"boom"}]'
           from generate_series(1, $1)`,
        [n],
      );
    },
    async clear(keepDirt) {
      await pool.query(`delete from opskit.jobs where state <> 'scheduled' or not $1`, [keepDirt]);
      await pool.query("truncate opskit.job_history");
      if (!keepDirt) await pool.query("truncate opskit.dead_jobs");
      await pool.query("vacuum analyze opskit.jobs");
    },
    analyze: async () => void (await pool.query("analyze opskit.jobs")),
    close: () => pool.end(),
  };
}

export async function graphileSystem(url: string, batched: boolean): Promise<System> {
  await runMigrations({ connectionString: url, logger: silentGraphile });
  const utils = await makeWorkerUtils({ connectionString: url, logger: silentGraphile });
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  pool.on("error", () => undefined);
  const spec = (runAt?: Date) => ({ identifier: "noop", payload: {}, ...(runAt ? { runAt } : {}) });
  return {
    name: batched ? "graphile-worker (batched)" : "graphile-worker (default)",
    perJobAcks: !batched,
    async bulkAdd(n, o = {}) {
      for (let i = 0; i < n; i += 10_000) {
        await utils.addJobs(Array.from({ length: Math.min(10_000, n - i) }, () => spec(o.runAt)));
      }
    },
    add: async () => void (await utils.addJob("noop", {})),
    async work(onJob) {
      const runner = await runGraphile({
        connectionString: url,
        concurrency: CONCURRENCY,
        noHandleSignals: true,
        logger: silentGraphile,
        taskList: { noop: async () => onJob() },
        ...(batched
          ? {
              preset: {
                worker: {
                  localQueue: { size: 500 },
                  completeJobBatchDelay: 0,
                  failJobBatchDelay: 0,
                },
              },
            }
          : {}),
      });
      return { stop: () => runner.stop() };
    },
    async addDead(n) {
      await pool.query(
        `select graphile_worker.add_jobs(array(
           select row('dead', '{}'::json, null, null, 1, null, null, null)::graphile_worker.job_spec
             from generate_series(1, $1)))`,
        [n],
      );
      await pool.query(
        `update graphile_worker._private_jobs set attempts = max_attempts, last_error = 'boom'
          where task_id = (select id from graphile_worker._private_tasks where identifier = 'dead')`,
      );
    },
    async clear(keepDirt) {
      await pool.query(
        keepDirt
          ? `delete from graphile_worker._private_jobs where run_at < now() + interval '1 day' and attempts < max_attempts`
          : "delete from graphile_worker._private_jobs",
      );
      await pool.query("vacuum analyze graphile_worker._private_jobs");
    },
    analyze: async () => void (await pool.query("analyze graphile_worker._private_jobs")),
    async close() {
      await utils.release();
      await pool.end();
    },
  };
}

export async function pgBossSystem(url: string, tuned: boolean): Promise<System> {
  const boss = new PgBoss({ connectionString: url, max: 20, schedule: false, supervise: true });
  boss.on("error", () => undefined);
  await boss.start();
  const name = "noop";
  await boss.createQueue(name);
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  pool.on("error", () => undefined);
  return {
    name: tuned ? "pg-boss (tuned batching)" : "pg-boss (defaults)",
    perJobAcks: !tuned,
    async bulkAdd(n, o = {}) {
      for (let i = 0; i < n; i += 10_000) {
        await boss.insert(
          Array.from({ length: Math.min(10_000, n - i) }, () => ({
            name,
            data: {},
            ...(o.runAt ? { startAfter: o.runAt } : {}),
          })),
        );
      }
    },
    add: async () => void (await boss.send(name, {})),
    async work(onJob) {
      const ids: string[] = [];
      for (let i = 0; i < CONCURRENCY; i++) {
        ids.push(
          tuned
            ? await boss.work(
                name,
                { batchSize: 100, pollingIntervalSeconds: 0.5 },
                async (jobs) => {
                  for (let j = 0; j < jobs.length; j++) void onJob();
                },
              )
            : await boss.work(name, async (jobs) => {
                for (let j = 0; j < jobs.length; j++) void onJob();
              }),
        );
      }
      return {
        stop: async () => {
          for (const id of ids) await boss.offWork({ id });
        },
      };
    },
    async addDead(n) {
      await pool.query(
        `insert into pgboss.job (name, data, state, retry_limit, retry_count)
         select $2, '{}', 'failed', 0, 0 from generate_series(1, $1)`,
        [n, name],
      );
    },
    async clear(keepDirt) {
      await pool.query(
        keepDirt
          ? `delete from pgboss.job where state <> 'failed' and start_after < now() + interval '1 day'`
          : "delete from pgboss.job",
      );
      await pool.query("delete from pgboss.archive");
      await pool.query("vacuum analyze pgboss.job");
    },
    analyze: async () => void (await pool.query("analyze pgboss.job")),
    async close() {
      await boss.stop({ graceful: false, wait: true });
      await pool.end();
    },
  };
}

export async function bullmqSystem(url: string): Promise<System> {
  const { Queue, Worker } = withBackend(createPostgresBackend);
  const connection = { connectionString: url, migrate: true } as unknown as string;
  const queue = new Queue("noop", { connection });
  await queue.waitUntilReady();
  return {
    name: "BullMQ 6 (Postgres backend)",
    perJobAcks: true,
    async bulkAdd(n, o = {}) {
      const delay = o.runAt ? o.runAt.getTime() - Date.now() : undefined;
      for (let i = 0; i < n; i += 5_000) {
        await queue.addBulk(
          Array.from({ length: Math.min(5_000, n - i) }, () => ({
            name: "noop",
            data: {},
            opts: { removeOnComplete: true, ...(delay ? { delay } : {}) },
          })),
        );
      }
    },
    add: async () => void (await queue.add("noop", {}, { removeOnComplete: true })),
    async work(onJob) {
      const worker = new Worker("noop", async () => onJob(), {
        connection,
        concurrency: CONCURRENCY,
      });
      await worker.waitUntilReady();
      return { stop: () => worker.close() };
    },
    async addDead() {
      throw new Error("not measured for BullMQ");
    },
    async clear() {
      await queue.obliterate({ force: true });
    },
    analyze: async () => undefined, // its own schema; left to autovacuum
    close: () => queue.close(),
  };
}
