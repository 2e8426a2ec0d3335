import type { baseManifest, ConfigOf } from "../config/index.js";
import { consoleConfig, createConsole, type Console } from "../console/index.js";
import type { Pool } from "../db/index.js";
import type { Health } from "../health/index.js";
import type { Inbox } from "../inbox/index.js";
import type { Logger } from "../log/index.js";
import type { MigrationSource } from "../migrate/index.js";

/** Where the service mounts its console. */
export const CONSOLE_PATH = "/ops";

/**
 * The console of a service (roles `api` and `all`, unless `OPSKIT_CONSOLE`
 * is false), configured from the base manifest's OPSKIT_CONSOLE_* variables.
 */
export function createServiceConsole(options: {
  config: ConfigOf<typeof baseManifest>;
  pool: Pool;
  log: Logger;
  health: Health;
  sources: MigrationSource[];
  secrets: string[];
  inbox: Inbox | undefined;
}): Console | undefined {
  const { config } = options;
  if (!config.OPSKIT_CONSOLE || (config.OPSKIT_ROLE !== "api" && config.OPSKIT_ROLE !== "all"))
    return undefined;
  const console = createConsole({
    pool: options.pool,
    log: options.log,
    basePath: CONSOLE_PATH,
    ...consoleConfig(config),
    health: options.health,
    migrationSources: options.sources,
    secrets: options.secrets,
    inboxSecretIds: options.inbox
      ? new Map([...options.inbox.sources].map(([name, s]) => [name, s.verifier.secretIds ?? []]))
      : undefined,
  });
  if (!console.enabled) {
    options.log
      .child({ category: "console" })
      .warn(
        "the console at /ops has no login configured and refuses every page: set OPSKIT_CONSOLE_ADMIN_TOKENS (or OPSKIT_CONSOLE_USERS)",
      );
  }
  return console;
}
