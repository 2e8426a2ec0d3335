import { WORKER_ROLES, type ServicePart } from "../service-part.js";
import type { QueueSelection } from "./create-worker.js";
import { schedulesCheck, workerHeartbeatCheck } from "./job-checks.js";

/** How the service's worker runs; read when the part starts. */
export interface WorkerPartOptions {
  /** Jobs this process runs at once; default OPSKIT_JOBS_CONCURRENCY. */
  concurrency?: number;
  /** Queues the worker serves; default every queue the tasks name. */
  queues?: (string | QueueSelection)[];
}

/**
 * Roles `worker` and `all`: runs the queue's worker over every declared task
 * (none declared, no worker). Its heartbeat joins readiness, late schedules
 * warn in /health, and its stop drains it (after HTTP, within the budget).
 * With a direct URL (`ctx.sessionUrl`) it LISTENs on a connection of its own
 * there, so the pool may go through a transaction-mode pooler.
 */
export function workerPart(options: () => WorkerPartOptions = () => ({})): ServicePart {
  return {
    name: "jobs",
    roles: WORKER_ROLES,
    async start(ctx) {
      if (ctx.queue.tasks.size === 0) return undefined;
      const { config } = ctx;
      const o = options();
      const worker = ctx.queue.work({
        concurrency: o.concurrency ?? config.OPSKIT_JOBS_CONCURRENCY,
        leaseMs: config.OPSKIT_JOBS_LEASE,
        pollIntervalMs: config.OPSKIT_JOBS_POLL_INTERVAL,
        listen: config.OPSKIT_JOBS_LISTEN,
        // A direct URL (OPSKIT_DATABASE_DIRECT_URL): LISTEN on a connection of its own there.
        ...(ctx.sessionUrl === ctx.databaseUrl ? {} : { listenUrl: ctx.sessionUrl }),
        ...(o.queues ? { queues: o.queues } : {}),
      });
      ctx.health.addCheck(workerHeartbeatCheck(worker));
      if (ctx.queue.declaredSchedules.length) ctx.health.addCheck(schedulesCheck(ctx.pool));
      await worker.ready();
      await ctx.health.refresh();
      return (remainingMs) => worker.stop(remainingMs);
    },
  };
}
