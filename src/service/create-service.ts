import type { ConfigOf, Manifest } from "../config/index.js";
import { CONSOLE_PATH } from "../console/index.js";
import type { Hono } from "hono";
import type { AppEnv, HttpServer } from "../http/index.js";
import { createQueue } from "../jobs/index.js";
import { toolkitMigrationsDir } from "../migrate/index.js";
import type { PartStop, ServiceContext, ServicePart } from "../service-part.js";
import { bootstrap, type BootstrapOptions } from "./bootstrap.js";
import type { ServiceDatabase } from "./database.js";
import { httpPart } from "./http-part.js";
import { errorReportingPart } from "./error-reporting-part.js";
import { createErrorReporting } from "../log/index.js";
import { declareParts } from "./declare-parts.js";
import { serviceParts, type PartsOptions } from "./service-parts.js";
import { serviceShutdown, type StartedPart } from "./shutdown.js";

export interface ServiceOptions<M extends Manifest>
  extends BootstrapOptions<M>, PartsOptions<ConfigOf<M>> {
  /**
   * `false`: start no HTTP server; `app` is served by a framework adapter
   * (`opskit/fastify`, `opskit/express`, `opskit/nest`), which closes its
   * own server between `drain()` and `stop()`. Default true.
   */
  listen?: boolean;
}

export interface RunningService<C> extends ServiceContext<C> {
  /** Base URL of the HTTP server (none for role `migrate`). */
  url: string | undefined;
  http: HttpServer | undefined;
  /** The app serving every declared route (probes, metrics, inbox, console); none for role `migrate`. */
  app: Hono<AppEnv> | undefined;
  database: ServiceDatabase;
  bootMs: number;
  /** The console's URL and, in development with no login configured, its generated token. */
  console: { url: string; developmentToken: string | undefined } | undefined;
  /** Runs the shutdown sequence; resolves true when it finished within the budget. */
  stop(reason?: string): Promise<boolean>;
  /**
   * The first phases of `stop()` only: readiness fails, then the drain delay
   * passes. For a framework that stops its own server next; `stop()` later
   * skips what this did.
   */
  drain(reason?: string): Promise<void>;
}

/**
 * Boots a service: the bootstrap (config, log, database, health, metrics),
 * then its parts — the toolkit's (migrations, metrics, inbox, console,
 * health, the job worker, retention) and the service's own — declared, the
 * queue made from their tasks, started in order with HTTP last; `stop()`
 * fails readiness, drains, and stops them in reverse. A part runs only in
 * the roles it names. A bad config throws `CONFIG_INVALID` with the whole
 * report in `details`; `runService` turns that into exit code 2.
 *
 * @example
 * const service = await startService({ name: "bakery", version: "1.0.0", manifest, routes });
 * await service.stop();
 */
export async function startService<M extends Manifest>(
  options: ServiceOptions<M>,
): Promise<RunningService<ConfigOf<M>>> {
  const bootStarted = performance.now();
  const { ctx: base, database } = await bootstrap(options);
  const { parts, console: opsConsole } = serviceParts(options);
  const started: StartedPart[] = [];
  const hooks: StartedPart[] = [];
  const shutdown = serviceShutdown({ base, database, started, hooks, env: options.env });
  try {
    const reporting = createErrorReporting({ log: base.log, reporters: options.reporters ?? [] });
    // First to start, so it stops after the worker has drained: a job that dies while draining is reported.
    const active = [errorReportingPart(reporting), ...parts].filter((p) =>
      p.roles.includes(base.role),
    );
    const declared = await declareParts(active, base);
    const queue = createQueue({
      pool: base.pool,
      tasks: declared.tasks,
      schedules: declared.schedules,
      log: base.log,
      registry: base.metrics.registry,
      historyRetentionMs: base.config.OPSKIT_JOBS_HISTORY_RETENTION,
      preparedStatements: base.preparedStatements,
    });
    for (const check of declared.checks) base.health.addCheck(check);
    const http = httpPart(declared, { listen: options.listen ?? true, reporting });
    const ctx: ServiceContext<ConfigOf<M>> = {
      ...base,
      queue,
      migrations: [{ source: "opskit", dir: toolkitMigrationsDir }, ...declared.migrations],
      screens: declared.screens,
      onShutdown: (name: string, stop: PartStop) => void hooks.push({ name, stop }),
      reportError: (error, context) => reporting.report(error, context),
    };
    const serving = http.part.roles.includes(base.role);
    await startParts([...active, ...(serving ? [http.part] : [])], ctx, started);
    base.health.markStarted();
    const server = http.server();
    const bootMs = Math.round(performance.now() - bootStarted);
    if (server)
      base.log.child({ category: "startup" }).info({ url: server.url, boot_ms: bootMs }, "ready");
    const made = opsConsole();
    return {
      ...ctx,
      url: server?.url,
      http: server,
      app: http.app(),
      database,
      bootMs,
      console:
        made && (server || http.app())
          ? // Without a server of its own (a framework serves it), the URL is the path.
            { url: `${server?.url ?? ""}${CONSOLE_PATH}`, developmentToken: made.developmentToken }
          : undefined,
      stop: shutdown.stop,
      drain: shutdown.drain,
    };
  } catch (error) {
    await shutdown.abort();
    throw error;
  }
}

/** Starts each part in order, keeping the stop of each that returned one. */
async function startParts<C>(
  parts: ServicePart<C>[],
  ctx: ServiceContext<C>,
  started: StartedPart[],
): Promise<void> {
  for (const part of parts) {
    const stop = await part.start?.(ctx);
    if (stop) started.push({ name: part.name, stop });
  }
}
