/**
 * `npm run bench -- jobs-statements [--quick]`: the server's CPU per job of
 * each statement a worker sends for no-op jobs, one connection, batches of
 * 200, on an embedded Postgres 15 with durable settings: the claim
 * (`opskit.claim_jobs`), then the batch's outcome written three ways: the
 * general statement (SETTLE_SQL, every outcome kind), the lean one for
 * batches of completed jobs (COMPLETE_SQL, what the worker sends for them),
 * and a bare `delete … where id = any(…)` (no fence, no history: what a queue
 * without them writes, as a floor). The backend's CPU comes from
 * /proc/<pid>/stat (ticks of 10 ms, summed over K batches), the wall time
 * from the client. Rounds interleave the three.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { startEmbeddedPostgres } from "../src/db/index.js";
// eslint-disable-next-line no-restricted-imports -- the statements the worker sends, not copies
import { COMPLETE_SQL, SETTLE_SQL } from "../src/jobs/sql/settle-jobs.js";
import { migrate, toolkitMigrationsDir } from "../src/migrate/index.js";
import type { Benchmark } from "./harness.js";
import { median, round } from "./harness.js";
import { cpuMs } from "./proc-cpu.js";

const PG_PORT = 55_554;
const BATCH = 200;

type Write = (ids: string[], attempts: number[]) => { text: string; values: unknown[] };

const writes: Record<string, Write> = {
  general: (ids, attempts) => ({
    text: SETTLE_SQL,
    values: [
      ids,
      attempts,
      ids.map(() => "bench"),
      ids.map(() => "completed"),
      ids.map(() => null),
      ids.map(() => 0),
      ids.map(() => Date.now()),
      true,
    ],
  }),
  lean: (ids, attempts) => ({
    text: COMPLETE_SQL,
    values: [ids, attempts, ids.map(() => Date.now()), "bench", true],
  }),
  bare_delete: (ids) => ({
    text: "delete from opskit.jobs where id = any($1::bigint[])",
    values: [ids],
  }),
};

const jobsStatements: Benchmark = async ({ quick }) => {
  const batches = quick ? 100 : 250;
  const rounds = quick ? 2 : 3;
  const tmp = await mkdtemp(path.join(os.tmpdir(), "opskit-bench-jobs-statements-"));
  const server = await startEmbeddedPostgres({
    dataDir: path.join(tmp, "pg"),
    port: PG_PORT,
    persistent: false,
    settings: { fsync: "on", synchronous_commit: "on", shared_buffers: "256MB" },
  });
  const client = new pg.Client({ connectionString: server.url });
  try {
    const { error } = await migrate({
      connectionString: server.url,
      sources: [{ source: "opskit", dir: toolkitMigrationsDir }],
    });
    if (error) throw new Error(error.message);
    await client.connect();
    const { rows } = await client.query<{ pid: number }>("select pg_backend_pid() as pid");
    const backend = rows[0]!.pid;
    const samples = new Map<string, number[]>();
    const add = (key: string, value: number) =>
      samples.set(key, [...(samples.get(key) ?? []), value]);
    for (let r = 0; r < rounds; r++) {
      for (const [name, write] of Object.entries(writes)) {
        console.error(`jobs-statements round ${r + 1}: ${name}`);
        await client.query("truncate opskit.jobs, opskit.job_history");
        await client.query(
          `insert into opskit.jobs (task, queue, payload)
           select 'noop', 'default', '{}' from generate_series(1, $1)`,
          [BATCH * batches],
        );
        await client.query("vacuum analyze opskit.jobs");
        await client.query("checkpoint");
        const spent = { claimMs: 0, claimCpu: 0, writeMs: 0, writeCpu: 0 };
        for (let k = 0; k < batches; k++) {
          let cpu = cpuMs([backend]);
          let t = performance.now();
          const claimed = await client.query<{ id: string; attempts: number }>({
            name: "claim",
            text: `select id, task, queue, payload, attempts, max_attempts, backoff, timeout_ms,
                     checkpoint, meta from opskit.claim_jobs('bench', '{default}', '{noop}', $1, 30000)`,
            values: [BATCH],
          });
          spent.claimMs += performance.now() - t;
          spent.claimCpu += cpuMs([backend]) - cpu;
          const statement = write(
            claimed.rows.map((j) => j.id),
            claimed.rows.map((j) => j.attempts),
          );
          cpu = cpuMs([backend]);
          t = performance.now();
          await client.query({ name: `write_${name}`, ...statement });
          spent.writeMs += performance.now() - t;
          spent.writeCpu += cpuMs([backend]) - cpu;
        }
        const perJob = (ms: number) => (ms * 1000) / (BATCH * batches);
        add(`claim/cpu_us_per_job`, perJob(spent.claimCpu));
        add(`claim/wall_us_per_job`, perJob(spent.claimMs));
        add(`${name}/cpu_us_per_job`, perJob(spent.writeCpu));
        add(`${name}/wall_us_per_job`, perJob(spent.writeMs));
        console.error(
          `  ${name}: ${round(perJob(spent.writeCpu), 1)} µs cpu, ${round(perJob(spent.writeMs), 1)} µs wall per job (load ${round(os.loadavg()[0]!, 2)})`,
        );
      }
    }
    const figures = Object.fromEntries(
      [...samples].map(([k, v]) => [
        k,
        { median: round(median(v), 2), rounds: v.map((x) => round(x, 2)) },
      ]),
    );
    const m = (k: string) => figures[k]?.median ?? NaN;
    return {
      figures: { batch: BATCH, batches, load1: round(os.loadavg()[0]!, 2), per_job: figures },
      ratios: {
        lean_vs_general_cpu: round(m("lean/cpu_us_per_job") / m("general/cpu_us_per_job"), 2),
        lean_vs_general_wall: round(m("lean/wall_us_per_job") / m("general/wall_us_per_job"), 2),
      },
      table: ["claim", ...Object.keys(writes)].map((k) => ({
        statement: k,
        "server cpu µs/job": m(`${k}/cpu_us_per_job`),
        "wall µs/job": m(`${k}/wall_us_per_job`),
      })),
    };
  } finally {
    await client.end().catch(() => undefined);
    await server.stop();
    await rm(tmp, { recursive: true, force: true });
  }
};

export default jobsStatements;
