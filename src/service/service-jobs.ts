import type { ConfigOf } from "../config/index.js";
import type { baseManifest } from "../config/index.js";
import type { Pool } from "../db/index.js";
import type { Health } from "../health/index.js";
import type { Logger } from "../log/index.js";
import type { Metrics } from "../metrics/index.js";
import {
  createQueue,
  schedulesCheck,
  workerHeartbeatCheck,
  type AnyTask,
  type Queue,
  type QueueSelection,
  type Schedule,
} from "../jobs/index.js";

/** What a service declares for its job queue. */
export interface ServiceJobs {
  tasks: AnyTask[];
  schedules?: Schedule[];
  /** Jobs this process runs at once; default OPSKIT_JOBS_CONCURRENCY. */
  concurrency?: number;
  /** Queues the worker serves; default every queue the tasks name. */
  queues?: (string | QueueSelection)[];
}

type BaseConfig = ConfigOf<typeof baseManifest>;

/** The service's queue (every role may enqueue), its metrics registered on the service's registry. */
export function createServiceQueue(
  deps: { pool: Pool; log: Logger; metrics: Metrics; config: BaseConfig },
  jobs: ServiceJobs | undefined,
): Queue {
  return createQueue({
    pool: deps.pool,
    tasks: jobs?.tasks ?? [],
    schedules: jobs?.schedules ?? [],
    log: deps.log,
    registry: deps.metrics.registry,
    historyRetentionMs: deps.config.OPSKIT_JOBS_HISTORY_RETENTION,
  });
}

/**
 * Starts the worker of roles `worker` and `all`: its heartbeat joins
 * readiness, late schedules warn in /health, and the returned stop drains it
 * (a shutdown phase after HTTP).
 */
export async function startServiceWorker(
  deps: { queue: Queue; pool: Pool; health: Health; config: BaseConfig },
  jobs: ServiceJobs | undefined,
): Promise<((remainingMs: number) => Promise<boolean>) | undefined> {
  if (!jobs || jobs.tasks.length === 0) return undefined;
  const { config } = deps;
  const worker = deps.queue.work({
    concurrency: jobs.concurrency ?? config.OPSKIT_JOBS_CONCURRENCY,
    leaseMs: config.OPSKIT_JOBS_LEASE,
    pollIntervalMs: config.OPSKIT_JOBS_POLL_INTERVAL,
    listen: config.OPSKIT_JOBS_LISTEN,
    ...(jobs.queues ? { queues: jobs.queues } : {}),
  });
  deps.health.addCheck(workerHeartbeatCheck(worker));
  if (jobs.schedules?.length) deps.health.addCheck(schedulesCheck(deps.pool));
  await worker.ready();
  await deps.health.refresh();
  return (remainingMs) => worker.stop(remainingMs);
}
