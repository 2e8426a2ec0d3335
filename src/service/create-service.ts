import type { Hono } from "hono";
import {
  baseManifest,
  configError,
  extendManifest,
  loadConfig,
  secretValues,
  type ConfigOf,
  type Manifest,
} from "../config/index.js";
import { createLogger, type Logger } from "../log/index.js";
import {
  assertSessionPooling,
  checkDatabase,
  createPool,
  describeConnectionTarget,
  type Pool,
} from "../db/index.js";
import { createHealth, postgresCheck, type Health, type HealthCheck } from "../health/index.js";
import { createMetrics, type Metrics } from "../metrics/index.js";
import { createHttpApp, startHttpServer, type HttpServer } from "../http/index.js";
import { migrate, toolkitMigrationsDir, type MigrationSource } from "../migrate/index.js";
import { OpskitError } from "../errors.js";
import type { Queue } from "../jobs/index.js";
import { resolveDatabase, type ServiceDatabase } from "./database.js";
import { CONSOLE_PATH, createServiceConsole } from "./service-console.js";
import { migrationsCheck } from "./migrations-check.js";
import { createServiceQueue, startServiceWorker, type ServiceJobs } from "./service-jobs.js";
import {
  createServiceInbox,
  registerServiceInbox,
  startServiceRetention,
  withInboxTasks,
  type ServiceInbox,
} from "./service-inbox.js";
import { runShutdown, type ShutdownPhase } from "./shutdown.js";

export type Role = "api" | "worker" | "migrate" | "all";

type BaseConfig = ConfigOf<typeof baseManifest>;

/** What the service's own routes and checks are built from. */
export interface ServiceContext<C> {
  config: C & BaseConfig;
  log: Logger;
  pool: Pool;
  health: Health;
  metrics: Metrics;
  /** The job queue: every role may enqueue (`ctx.queue.add(task, payload, { tx })`). */
  queue: Queue;
  role: Role;
  /** Registers background work to stop during shutdown (after HTTP has drained). */
  onShutdown(name: string, stop: (remainingMs: number) => Promise<boolean | void>): void;
}

export interface ServiceOptions<M extends Manifest> {
  /** Service name: the log `name`, the embedded database's name, `serviceId` in /health. */
  name: string;
  version: string;
  description?: string;
  /** The service's own variables; merged with the toolkit's base manifest. */
  manifest?: M;
  /** The service's migrations directory (applied after the toolkit's own). */
  migrationsDir?: string;
  /** The service's routes, mounted at `/`. */
  routes?: (ctx: ServiceContext<ConfigOf<M>>) => Hono<any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- the service's own env
  /** Extra readiness checks. */
  checks?: (ctx: ServiceContext<ConfigOf<M>>) => HealthCheck[];
  /**
   * Tasks and schedules of the job queue. Roles `worker` and `all` run a
   * worker (drained at shutdown, after HTTP); every role can enqueue.
   */
  jobs?: (ctx: Omit<ServiceContext<ConfigOf<M>>, "queue">) => ServiceJobs;
  /**
   * Webhook sources, received at `POST /webhooks/<name>` (roles api and
   * all) and processed by the worker (roles worker and all). `ctx.queue` may
   * be used inside handlers (enqueue follow-up jobs with `{ tx }`), not while
   * declaring: it is created after the sources, with their tasks.
   */
  inbox?: (ctx: ServiceContext<ConfigOf<M>>) => ServiceInbox;
  /** Background work started once the service is ready (role `worker` or `all`). */
  startWorkers?: (ctx: ServiceContext<ConfigOf<M>>) => Promise<void> | void;
  /** Environment to read; default `process.env`. */
  env?: Record<string, string | undefined>;
  /** Where log lines go; default stdout. */
  logDestination?: { write(line: string): void };
}

export interface RunningService<C> extends ServiceContext<C> {
  /** Base URL of the HTTP server (none for role `migrate`). */
  url: string | undefined;
  http: HttpServer | undefined;
  database: ServiceDatabase;
  bootMs: number;
  /** The console's URL and, in development with no login configured, its generated token. */
  console: { url: string; developmentToken: string | undefined } | undefined;
  /** Runs the shutdown sequence; resolves true when it finished within the budget. */
  stop(reason?: string): Promise<boolean>;
}

/**
 * Boots a service: config → log → db (embedded Postgres when `DATABASE_URL`
 * is unset) → migrations → HTTP (probes, metrics, the service's routes) →
 * workers; and returns a handle whose `stop()` runs the graceful shutdown.
 * A bad config throws `CONFIG_INVALID` with the whole report in `details`;
 * `runService` turns that into exit code 2.
 *
 * @example
 * const service = await startService({ name: "bakery", version: "1.0.0", manifest, routes });
 * await service.stop();
 */
export async function startService<M extends Manifest>(
  options: ServiceOptions<M>,
): Promise<RunningService<ConfigOf<M>>> {
  const bootStarted = performance.now();
  const manifest = options.manifest ? extendManifest(baseManifest, options.manifest) : baseManifest;
  const env = options.env ?? process.env;
  const loaded = loadConfig(manifest, env);
  if (!loaded.ok) throw configError(loaded.report);
  const config = loaded.config as ConfigOf<M> & BaseConfig;
  const role: Role = config.OPSKIT_ROLE;
  const log = createLogger({
    level: config.LOG_LEVEL,
    name: options.name,
    secrets: secretValues(manifest, config),
    ...(options.logDestination ? { destination: options.logDestination } : {}),
  });
  const startupLog = log.child({ category: "startup" });
  startupLog.info({ role, version: options.version, node: process.version }, "starting");

  const database = await resolveDatabase({
    databaseUrl: config.DATABASE_URL,
    dataDir: config.OPSKIT_DATA_DIR,
    database: options.name,
    log,
  });
  const shutdownHooks: ShutdownPhase[] = [];
  const stopEmbedded = async () => {
    await database.embedded?.stop();
  };
  let pool: Pool | undefined;
  try {
    const info = await checkDatabase(database.url);
    startupLog.info(
      {
        target: describeConnectionTarget(database.url),
        server_version: info.serverVersion,
        latency_ms: info.latencyMs,
      },
      "database reachable",
    );
    if (role !== "api") await assertSessionPooling(database.url, role);

    const sources: MigrationSource[] = [{ source: "opskit", dir: toolkitMigrationsDir }];
    if (options.migrationsDir) sources.push({ source: "app", dir: options.migrationsDir });
    if (role === "migrate" || role === "all") {
      const migrateLog = log.child({ category: "migrate" });
      const outcome = await migrate({
        connectionString: database.url,
        sources,
        onStaleLockTerminated: (holder) =>
          migrateLog.warn(
            { holder },
            "terminated a stale migration runner session holding the lock",
          ),
        onLockWait: (holder, waitedMs) =>
          migrateLog.warn({ holder, waited_ms: waitedMs }, "waiting for the migration lock"),
        onApplied: (r) =>
          migrateLog.info(
            {
              migration: r.name,
              source: r.source,
              duration_ms: r.durationMs,
              transactional: r.transactional,
              ...(r.notes.length ? { notes: r.notes } : {}),
            },
            "migration applied",
          ),
      });
      if (outcome.error) {
        throw new OpskitError("MIGRATION_FAILED", outcome.error.message, {
          details: { ...outcome.error },
        });
      }
      migrateLog.info({ applied: outcome.results.length }, "migrations up to date");
    }

    pool = createPool({
      connectionString: database.url,
      applicationName: `${options.name}:${role}`,
      max: config.OPSKIT_DB_POOL_MAX,
      slowQueryThresholdMs: config.OPSKIT_SLOW_QUERY_THRESHOLD,
      logger: log.child({ category: "slow_query" }),
    });
    const health = createHealth({
      version: config.OPSKIT_VERSION ?? options.version,
      releaseId: config.OPSKIT_RELEASE_ID,
      serviceId: options.name,
      description: options.description,
      timeoutMs: config.OPSKIT_HEALTH_CHECK_TIMEOUT,
      checks: [postgresCheck(pool)],
    });
    const metrics = createMetrics({ defaultMetrics: true });
    const base = {
      config,
      log,
      pool,
      health,
      metrics,
      role,
      onShutdown: (name: string, run: ShutdownPhase["run"]) => shutdownHooks.push({ name, run }),
    };
    const declaredInbox = options.inbox?.(withLazyQueue(base, () => ctx.queue));
    const inbox = createServiceInbox({ pool, log, metrics }, declaredInbox);
    const jobs = withInboxTasks(options.jobs?.(base), inbox);
    const ctx: ServiceContext<ConfigOf<M>> = {
      ...base,
      queue: createServiceQueue({ pool, log, metrics, config }, jobs),
    };

    if (role === "migrate") {
      return finish(ctx, undefined, undefined);
    }
    if (role === "api") health.addCheck(migrationsCheck(pool, sources));
    for (const check of options.checks?.(ctx) ?? []) health.addCheck(check);
    if (inbox) {
      await registerServiceInbox(inbox, log);
      // After HTTP has drained: every accepted request's write has finished.
      ctx.onShutdown("inbox", () => inbox.close());
    }

    const opsConsole = createServiceConsole({
      config,
      pool,
      log,
      health,
      sources,
      secrets: secretValues(manifest, config),
      inbox,
    });
    if (opsConsole) ctx.onShutdown("console", () => opsConsole.close());
    const app = createHttpApp({
      log,
      middleware: [metrics.httpMetrics()],
      isDraining: () => health.state() === "shutting_down",
      mounts: [
        { path: "/", app: health.app },
        { path: "/", app: metrics.app },
        ...(opsConsole ? [{ path: CONSOLE_PATH, app: opsConsole.app }] : []),
        ...(inbox && role !== "worker" ? [{ path: "/", app: inbox.app }] : []),
        ...(options.routes && role !== "worker" ? [{ path: "/", app: options.routes(ctx) }] : []),
      ],
    });
    const http = await startHttpServer(app, { port: config.PORT, host: config.HOST });
    await health.start(); // runs the first round of checks before returning
    if (role === "worker" || role === "all") {
      const stopWorker = await startServiceWorker(ctx, jobs);
      if (stopWorker) ctx.onShutdown("jobs", stopWorker);
      const stopRetention =
        inbox && declaredInbox
          ? startServiceRetention({ pool, log }, inbox, declaredInbox)
          : undefined;
      if (stopRetention) ctx.onShutdown("inbox_retention", stopRetention);
      await options.startWorkers?.(ctx);
    }
    health.markStarted();
    return finish(
      ctx,
      http,
      opsConsole && http
        ? {
            url: `${http.url}${CONSOLE_PATH}`,
            developmentToken: opsConsole.developmentToken,
          }
        : undefined,
    );
  } catch (error) {
    await pool?.end().catch(() => undefined);
    await stopEmbedded().catch(() => undefined);
    throw error;
  }

  function finish(
    ctx: ServiceContext<ConfigOf<M>>,
    http: HttpServer | undefined,
    consoleInfo: RunningService<unknown>["console"],
  ): RunningService<ConfigOf<M>> {
    const bootMs = Math.round(performance.now() - bootStarted);
    if (http) startupLog.info({ url: http.url, boot_ms: bootMs }, "ready");
    let stopping: Promise<boolean> | undefined;
    const stop = (reason = "stop") => {
      stopping ??= runShutdown(
        [
          {
            name: "readiness",
            run: async () => {
              log.child({ category: "shutdown" }).info({ reason }, "shutdown: readiness now fails");
              ctx.health.beginShutdown();
            },
          },
          {
            name: "drain_delay",
            run: (remaining) => delay(Math.min(drainDelay(config, env), remaining)),
          },
          { name: "http", run: async (remaining) => (http ? http.close(remaining) : true) },
          ...shutdownHooks,
          { name: "health", run: async () => ctx.health.close() },
          { name: "pool", run: () => ctx.pool.end() },
          { name: "metrics", run: async () => ctx.metrics.close() },
          { name: "embedded_postgres", run: stopEmbedded },
        ],
        config.OPSKIT_SHUTDOWN_TIMEOUT,
        log,
      );
      return stopping;
    };
    return { ...ctx, url: http?.url, http, database, bootMs, console: consoleInfo, stop };
  }
}

/**
 * The context handed to `inbox` before the queue exists (the queue is built
 * with the inbox's tasks): `queue` resolves when a handler uses it.
 */
function withLazyQueue<C extends object>(base: C, queue: () => Queue): C & { queue: Queue } {
  return Object.defineProperty({ ...base }, "queue", {
    enumerable: true,
    get: () => {
      try {
        return queue();
      } catch {
        throw new OpskitError(
          "INBOX_CONFIG_INVALID",
          "ctx.queue is not ready while inbox sources are declared; use it inside a handler.",
        );
      }
    },
  }) as C & { queue: Queue };
}

/**
 * The drain delay: readiness fails this long before the server stops
 * accepting, so load balancers stop routing first. Local development has no
 * load balancer, so there it is 0 unless set explicitly.
 */
function drainDelay(config: BaseConfig, env: Record<string, string | undefined>): number {
  if (config.NODE_ENV === "development" && !env.OPSKIT_SHUTDOWN_DRAIN_DELAY) return 0;
  return config.OPSKIT_SHUTDOWN_DRAIN_DELAY;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
