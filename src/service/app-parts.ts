import type { Hono } from "hono";
import type { HealthCheck } from "../health/index.js";
import type { AnyTask, QueueSelection, Schedule } from "../jobs/index.js";
import {
  ALL_ROLES,
  API_ROLES,
  SERVING_ROLES,
  WORKER_ROLES,
  type PartContext,
  type ServiceContext,
  type ServicePart,
} from "../service-part.js";

/** What a service declares for its job queue. */
export interface ServiceJobs {
  tasks: AnyTask[];
  schedules?: Schedule[];
  /** Jobs this process runs at once; default OPSKIT_JOBS_CONCURRENCY. */
  concurrency?: number;
  /** Queues the worker serves; default every queue the tasks name. */
  queues?: (string | QueueSelection)[];
}

/** The shorthand options of `startService`, each of which becomes a part below. */
export interface AppPartOptions<C> {
  /** The service's migrations directory (applied after the toolkit's own). */
  migrationsDir?: string;
  /** Tasks and schedules of the job queue (every role may enqueue; roles worker and all run them). */
  jobs?: (ctx: PartContext<C>) => ServiceJobs;
  /** The service's routes, mounted at `/` (roles api and all). */
  routes?: (ctx: ServiceContext<C>) => Hono<any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- the service's own env
  /** Extra readiness checks (every role that serves HTTP). */
  checks?: (ctx: ServiceContext<C>) => HealthCheck[];
  /** Background work started once the service is ready (roles worker and all). */
  startWorkers?: (ctx: ServiceContext<C>) => Promise<void> | void;
}

/** The parts made from a service's shorthand options, and the jobs it declared. */
export function appParts<C>(options: AppPartOptions<C>): {
  declaration: ServicePart<C>;
  routes: ServicePart<C>;
  checks: ServicePart<C>;
  workers: ServicePart<C>;
  jobs: () => ServiceJobs | undefined;
} {
  let jobs: ServiceJobs | undefined;
  let routes: Hono<any> | undefined; // eslint-disable-line @typescript-eslint/no-explicit-any -- as above
  return {
    jobs: () => jobs,
    declaration: {
      name: "app",
      roles: ALL_ROLES,
      declare(ctx) {
        jobs = options.jobs?.(ctx);
        return {
          tasks: jobs?.tasks ?? [],
          schedules: jobs?.schedules ?? [],
          migrations: options.migrationsDir ? [{ source: "app", dir: options.migrationsDir }] : [],
        };
      },
    },
    routes: {
      name: "app_routes",
      roles: API_ROLES,
      declare: () => (options.routes ? { routes: [{ path: "/", app: () => routes! }] } : undefined),
      start(ctx) {
        routes = options.routes?.(ctx);
      },
    },
    checks: {
      name: "app_checks",
      roles: SERVING_ROLES,
      start(ctx) {
        for (const check of options.checks?.(ctx) ?? []) ctx.health.addCheck(check);
      },
    },
    workers: {
      name: "app_workers",
      roles: WORKER_ROLES,
      start: async (ctx) => void (await options.startWorkers?.(ctx)),
    },
  };
}
