import type { baseManifest, ConfigOf } from "../config/index.js";
import type { ConsoleOptions } from "./create-console.js";

/**
 * The console's options from the base manifest's variables (NODE_ENV and
 * OPSKIT_CONSOLE_*): what the service and `opskit console` both pass.
 *
 * @example
 * createConsole({ pool, ...consoleConfig(config) });
 */
export function consoleConfig(
  config: ConfigOf<typeof baseManifest>,
): Pick<
  ConsoleOptions,
  "development" | "environment" | "credentials" | "sessionTtlMs" | "trustProxy" | "bulkCap"
> {
  return {
    development: config.NODE_ENV === "development",
    environment: config.NODE_ENV,
    credentials: {
      adminTokens: config.OPSKIT_CONSOLE_ADMIN_TOKENS,
      operatorTokens: config.OPSKIT_CONSOLE_OPERATOR_TOKENS,
      viewerTokens: config.OPSKIT_CONSOLE_VIEWER_TOKENS,
      users: config.OPSKIT_CONSOLE_USERS,
    },
    sessionTtlMs: config.OPSKIT_CONSOLE_SESSION_TTL,
    trustProxy: config.OPSKIT_CONSOLE_TRUST_PROXY,
    bulkCap: config.OPSKIT_CONSOLE_BULK_CAP,
  };
}
