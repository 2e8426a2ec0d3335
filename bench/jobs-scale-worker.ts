/**
 * One worker process of bench/jobs-scale.ts ("many workers"): an opskit
 * worker over a no-op task that notes, for jobs whose payload carries `t`
 * (epoch ms at enqueue), the delay until its handler started. Prints "ready"
 * once claiming; on SIGTERM stops the worker and prints one JSON line
 * { done, latencies }.
 *
 * Env: DATABASE_URL (the pool's: direct or a pooler), LISTEN_URL (optional,
 * direct: LISTEN on a connection of its own), PREPARED (1/0), POOL_MAX,
 * CONCURRENCY, MAINTENANCE (1/0), LISTEN (1/0), PREFETCH (default: adaptive).
 */
import { createPool } from "../src/db/index.js";
import { createQueue, defineTask } from "../src/jobs/index.js";

const env = process.env;
const pool = createPool({
  connectionString: env.DATABASE_URL!,
  max: Number(env.POOL_MAX ?? 4),
  applicationName: "bench-worker",
});
let done = 0;
const latencies: number[] = [];
const noop = defineTask("noop", (p: { t?: number }) => {
  done++;
  if (p.t !== undefined) latencies.push(Date.now() - p.t);
});
const queue = createQueue({ pool, tasks: [noop], preparedStatements: env.PREPARED !== "0" });
const worker = queue.work({
  concurrency: Number(env.CONCURRENCY ?? 10),
  maintenance: env.MAINTENANCE === "1",
  listen: env.LISTEN !== "0",
  ...(env.PREFETCH ? { prefetch: Number(env.PREFETCH) } : {}),
  ...(env.LISTEN_URL ? { listenUrl: env.LISTEN_URL } : {}),
});
await worker.ready();
process.stdout.write("ready\n");
process.once("SIGTERM", () => {
  void (async () => {
    await worker.stop(5_000);
    await pool.end();
    process.stdout.write(`${JSON.stringify({ done, latencies })}\n`);
    process.exit(0);
  })();
});
