import {
  baseManifest,
  configError,
  extendManifest,
  loadConfig,
  secretValues,
  type ConfigOf,
  type Manifest,
} from "../config/index.js";
import { checkDatabase, createPool, describeConnectionTarget } from "../db/index.js";
import { createHealth, postgresCheck } from "../health/index.js";
import { createLogger } from "../log/index.js";
import { createMetrics } from "../metrics/index.js";
import type { PartContext } from "../service-part.js";
import { resolveDatabase, type ServiceDatabase } from "./database.js";
import { resolveSessionDatabase, type SessionDatabase } from "./session-database.js";

/** What the bootstrap needs of the service's options. */
export interface BootstrapOptions<M extends Manifest> {
  name: string;
  version: string;
  description?: string;
  manifest?: M;
  env?: Record<string, string | undefined>;
  logDestination?: { write(line: string): void };
}

/**
 * Config → log → database (embedded when `DATABASE_URL` is unset; reachable;
 * behind a transaction-mode pooler only for role api or with
 * `OPSKIT_DATABASE_DIRECT_URL` for session work) → pool, health (with
 * the database check) and metrics: what every part is declared with. A bad
 * config throws `CONFIG_INVALID` with the whole report; an unreachable
 * database stops the embedded server it started before throwing.
 */
export async function bootstrap<M extends Manifest>(
  options: BootstrapOptions<M>,
): Promise<{ ctx: PartContext<ConfigOf<M>>; database: ServiceDatabase }> {
  const manifest = options.manifest ? extendManifest(baseManifest, options.manifest) : baseManifest;
  const loaded = loadConfig(manifest, options.env ?? process.env);
  if (!loaded.ok) throw configError(loaded.report);
  const config = loaded.config as ConfigOf<M> & ConfigOf<typeof baseManifest>;
  const role = config.OPSKIT_ROLE;
  const secrets = secretValues(manifest, config);
  const log = createLogger({
    level: config.LOG_LEVEL,
    name: options.name,
    secrets,
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
  let session: SessionDatabase;
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
    session = await resolveSessionDatabase({
      databaseUrl: database.url,
      directUrl: config.OPSKIT_DATABASE_DIRECT_URL,
      embedded: database.embedded !== undefined,
      role,
      log: startupLog,
    });
  } catch (error) {
    await database.embedded?.stop().catch(() => undefined);
    throw error;
  }
  const pool = createPool({
    connectionString: database.url,
    applicationName: `${options.name}:${role}`,
    max: config.OPSKIT_DB_POOL_MAX,
    slowQueryThresholdMs: config.OPSKIT_SLOW_QUERY_THRESHOLD,
    logger: log,
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
  const service = { name: options.name, version: options.version };
  const ctx = {
    service,
    config,
    log,
    pool,
    databaseUrl: database.url,
    sessionUrl: session.sessionUrl,
    preparedStatements: session.preparedStatements,
    health,
    metrics,
    role,
    secrets,
  };
  return { ctx, database };
}
