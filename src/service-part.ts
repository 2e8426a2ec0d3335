/**
 * The contract between a service and its parts (types only). A service is a
 * bootstrap (config, log, database, health, metrics) and an ordered list of
 * parts; each area of the toolkit ships its part beside its code
 * (`src/jobs/worker-part.ts`, `src/inbox/inbox-parts.ts`, …) and a service
 * adds its own the same way. It sits at the root, like `errors.ts`, so that
 * areas can implement it without importing the service that runs them.
 *
 * Lifecycle: every part whose `roles` include the process's role is
 * declared (in list order), then the queue is made from the declared tasks,
 * then the parts start in order; at shutdown readiness fails, the drain
 * delay passes, and the started parts stop in reverse order within the one
 * shutdown budget. See docs/service.md.
 */
import type { MiddlewareHandler } from "hono";
import type { Hono } from "hono";
import type { baseManifest, ConfigOf } from "./config/index.js";
import type { ConsoleScreen } from "./console/index.js";
import type { Pool } from "./db/index.js";
import type { Health, HealthCheck } from "./health/index.js";
import type { AnyTask, Queue, Schedule } from "./jobs/index.js";
import type { ErrorContext, Logger } from "./log/index.js";
import type { Metrics } from "./metrics/index.js";
import type { MigrationSource } from "./migrate/index.js";

/** `OPSKIT_ROLE`: what one process of the service does. */
export type Role = "api" | "worker" | "migrate" | "all";

/** Every role; a part that runs everywhere. */
export const ALL_ROLES: readonly Role[] = ["api", "worker", "migrate", "all"];
/** The roles that serve HTTP (probes and metrics at least). */
export const SERVING_ROLES: readonly Role[] = ["api", "worker", "all"];
/** The roles that serve the service's API (routes, webhooks, the console). */
export const API_ROLES: readonly Role[] = ["api", "all"];
/** The roles that run background work (the job worker, retention). */
export const WORKER_ROLES: readonly Role[] = ["worker", "all"];

export type BaseConfig = ConfigOf<typeof baseManifest>;

/** What a part is declared with: the bootstrap, before the queue exists. */
export interface PartContext<C = unknown> {
  /** The service's name and version (`serviceId` and `version` in /health). */
  service: { name: string; version: string };
  config: C & BaseConfig;
  log: Logger;
  pool: Pool;
  /** The database's connection string (for work that needs its own session: migrations). */
  databaseUrl: string;
  /**
   * A connection string with one server session per connection, for what
   * needs a session (LISTEN, session advisory locks, migrations, pg_dump,
   * logical replication): `OPSKIT_DATABASE_DIRECT_URL` when set, otherwise
   * `databaseUrl`. Differs from `databaseUrl` only when a direct URL is given.
   */
  sessionUrl: string;
  /**
   * Named prepared statements on `pool`: false when `databaseUrl` goes
   * through a transaction-mode pooler (which does not keep them per session).
   */
  preparedStatements: boolean;
  health: Health;
  metrics: Metrics;
  role: Role;
  /** The config's secret values: never to appear in a page or a log line. */
  secrets: readonly string[];
}

/** What a part is started with: the bootstrap plus what every part declared. */
export interface ServiceContext<C = unknown> extends PartContext<C> {
  /** The job queue: every role may enqueue (`ctx.queue.add(task, payload, { tx })`). */
  queue: Queue;
  /** Every declared migration directory, the toolkit's own first. */
  migrations: readonly MigrationSource[];
  /** Every declared console screen (the console adds them after its own). */
  screens: readonly ConsoleScreen[];
  /** Registers a stop that runs right after HTTP has drained. */
  onShutdown(name: string, stop: PartStop): void;
  /** Logs an error and hands it to the service's reporters (`reporters`: Sentry…). */
  reportError(error: unknown, context: ErrorContext): void;
}

/** A sub-app mounted on the service's HTTP app; a function is called once every part has started. */
export interface PartRoute {
  path: string;
  app: Hono<any> | (() => Hono<any>); // eslint-disable-line @typescript-eslint/no-explicit-any -- sub-apps carry their own env types
}

/** What a part adds to the service; everything is optional. */
export interface PartContributions {
  tasks?: AnyTask[];
  schedules?: Schedule[];
  /** Readiness checks. */
  checks?: HealthCheck[];
  routes?: PartRoute[];
  /** HTTP middleware, run for every route in part order. */
  middleware?: MiddlewareHandler[];
  /** Migration directories, applied after the toolkit's own in part order. */
  migrations?: MigrationSource[];
  /** Console screens (`defineConsoleScreen`): navigation, permissions and routes of each. */
  screens?: ConsoleScreen[];
}

/** Stops what a part started; receives what is left of the shutdown budget; `false` = not clean. */
export type PartStop = (remainingMs: number) => Promise<boolean | void> | boolean | void;

/**
 * One piece of a service.
 *
 * @example
 * const reportPart: ServicePart<MyConfig> = {
 *   name: "report",
 *   roles: WORKER_ROLES,
 *   declare: () => ({ tasks: [sendReport], schedules: [nightly] }),
 *   start: (ctx) => { const t = setInterval(…); return () => clearInterval(t); },
 * };
 */
export interface ServicePart<C = unknown> {
  /** Names the part's shutdown phase and its log lines; unique in a service. */
  readonly name: string;
  /** The roles it runs in; in any other role it is neither declared nor started. */
  readonly roles: readonly Role[];
  declare?(ctx: PartContext<C>): PartContributions | void | Promise<PartContributions | void>;
  /** Starts its work once every part is declared and the queue exists; returns its stop. */
  start?(ctx: ServiceContext<C>): PartStop | void | Promise<PartStop | void>;
}
