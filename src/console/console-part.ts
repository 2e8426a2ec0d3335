import { createAuth } from "../auth/index.js";
import { OpskitError } from "../errors.js";
import { API_ROLES, type PartContext, type ServicePart } from "../service-part.js";
import { parseSsoRoles, type ConsoleSso } from "./console-sso.js";
import { consoleConfig } from "./console-config.js";
import { createConsole, type Console } from "./create-console.js";

/** Where a service mounts its console. */
export const CONSOLE_PATH = "/ops";

/** The console's part and what the service reports of it once started. */
export interface ConsolePart {
  part: ServicePart;
  /** The console, once started (undefined when `OPSKIT_CONSOLE` is false or in roles worker/migrate). */
  console: () => Console<string> | undefined;
}

/**
 * Roles `api` and `all` (unless `OPSKIT_CONSOLE` is false): the operator's
 * console at `/ops`, configured from the base manifest's OPSKIT_CONSOLE_*
 * variables. It is made when it starts, with every declared migration
 * directory, so its route is mounted through a function.
 */
export function consolePart(
  options: { inboxSecretIds?: () => ReadonlyMap<string, readonly string[]> | undefined } = {},
): ConsolePart {
  let made: Console<string> | undefined;
  const part: ServicePart = {
    name: "console",
    roles: API_ROLES,
    declare: (ctx) =>
      ctx.config.OPSKIT_CONSOLE
        ? { routes: [{ path: CONSOLE_PATH, app: () => made!.app }] }
        : undefined,
    start(ctx) {
      if (!ctx.config.OPSKIT_CONSOLE) return undefined;
      const sso = consoleSso(ctx);
      const console = createConsole({
        pool: ctx.pool,
        log: ctx.log,
        basePath: CONSOLE_PATH,
        ...consoleConfig(ctx.config),
        health: ctx.health,
        migrationSources: [...ctx.migrations],
        secrets: ctx.secrets,
        inboxSecretIds: options.inboxSecretIds?.(),
        ...(sso ? { sso } : {}),
        screens: ctx.screens,
      });
      if (!console.enabled) {
        ctx.log
          .child({ category: "console" })
          .warn(
            `the console at ${CONSOLE_PATH} has no login configured and refuses every page: set OPSKIT_CONSOLE_ADMIN_TOKENS (or OPSKIT_CONSOLE_USERS)`,
          );
      }
      made = console;
      return () => console.close();
    },
  };
  return { part, console: () => made };
}

/**
 * The console's single sign-on from OPSKIT_CONSOLE_SSO_ROLES: the service's
 * own bearer-token verification (OPSKIT_AUTH_*), with the role map. None
 * when no role map is set; refused at boot when one is set and the service
 * verifies no bearer tokens.
 */
function consoleSso(ctx: PartContext): ConsoleSso | undefined {
  const entries = ctx.config.OPSKIT_CONSOLE_SSO_ROLES;
  if (!entries?.length) return undefined;
  const verifier = createAuth(ctx.config, { log: ctx.log, realm: "console" }).verifier;
  if (!verifier) {
    throw new OpskitError(
      "AUTH_CONFIG_INVALID",
      "OPSKIT_CONSOLE_SSO_ROLES is set but no bearer token can be verified: set OPSKIT_AUTH_JWT_SECRET or OPSKIT_AUTH_JWKS_URL.",
    );
  }
  return { verify: (token) => verifier.verify(token), roles: parseSsoRoles(entries) };
}
