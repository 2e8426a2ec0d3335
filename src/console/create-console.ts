import { Hono } from "hono";
import { getCookie } from "hono/cookie";
import { NONCE, secureHeaders } from "hono/secure-headers";
import type { Pool } from "../db/index.js";
import type { Health } from "../health/index.js";
import { createInboxAdmin } from "../inbox/index.js";
import { createBacklogSampler, createJobsAdmin } from "../jobs/index.js";
import { createLogger, type Logger } from "../log/index.js";
import type { MigrationSource } from "../migrate/index.js";
import { isOpskitError } from "../errors.js";
import { mountConsoleAssets } from "./console-assets.js";
import { createConsoleCredentials, type CredentialsInput } from "./console-credentials.js";
import { clientAddress, LOGIN_PERMISSIONS, registerLogin } from "./console-login.js";
import {
  createConsoleRouter,
  refusal,
  SESSION_COOKIE,
  type ConsoleContext,
  type ConsoleEnv,
} from "./console-router.js";
import {
  checkScreens,
  navigationOf,
  permissionsOf,
  type ConsoleScreen,
  type ScreenAction,
} from "./console-screen.js";
import { createLoginThrottle, type LoginThrottleOptions } from "./login-throttle.js";
import { renderMessagePage } from "./layout.js";
import type { ConsoleAction, Permissions } from "./permissions.js";
import { scrubSecrets } from "./scrub-secrets.js";
import { invalidField } from "./request-input.js";
import { isHttpsRequest } from "./request-origin.js";
import type { ScreenDeps } from "./screen-kit.js";
import { BUILT_IN_SCREENS } from "./screens.js";
import { findConsoleSession } from "./sql/console-sessions.js";
import type { ConsoleSso } from "./console-sso.js";

/**
 * `S` is the service's own screens (`screens`), so that `permissions` and
 * `actions` know their action names beside the built-in ones.
 */
export interface ConsoleOptions<S extends readonly ConsoleScreen[] = readonly []> {
  pool: Pool;
  log?: Logger;
  /** Where the console is mounted; links and the cookie path use it. Default `/ops`. */
  basePath?: string;
  /** The logins (the config's OPSKIT_CONSOLE_* secret variables). */
  credentials: CredentialsInput;
  /** `NODE_ENV=development`: with no login configured, a token is generated (see `developmentToken`). */
  development: boolean;
  /** Shown as a badge on every page (`production`, `development` …). */
  environment?: string;
  /** Default 8 hours. */
  sessionTtlMs?: number;
  /** Believe `X-Forwarded-Proto` (the cookie gets `Secure` behind a TLS-terminating proxy). */
  trustProxy?: boolean;
  /** Most jobs or events one bulk action touches; default 1,000. */
  bulkCap?: number;
  /** Overrides of the per-action role lists (the built-in actions and the service's screens'). */
  permissions?: Partial<Permissions<ConsoleAction | ScreenAction<S[number]>>>;
  /**
   * The service's own screens, after the built-in ones: their navigation
   * entries, permissions and routes are derived the same way, and their
   * actions go through the same guarded, audited, transactional router.
   */
  screens?: S;
  /** The service's health (the overview shows its `/health` and `/readyz`). */
  health?: Health;
  /** Migration directories (default: the toolkit's own only). */
  migrationSources?: MigrationSource[];
  /** Values never to appear in a page (the config's secret values). */
  secrets?: readonly string[];
  /** How often the backlog chart is sampled; default 10 s, 0 turns sampling off. */
  sampleIntervalMs?: number;
  /** Masked ids of each inbox source's secrets (the service passes its inbox's). */
  inboxSecretIds?: ReadonlyMap<string, readonly string[]>;
  /** Failed logins allowed per client address (default 10 per 15 minutes). */
  loginThrottle?: LoginThrottleOptions;
  /** Single sign-on: the login form also takes the identity provider's tokens (console-sso.ts). */
  sso?: ConsoleSso;
}

/** `A`: every action name of this console (the built-in ones and those of its added screens). */
export interface Console<A extends string = ConsoleAction> {
  /** Mount at `basePath`: `app.route("/ops", console.app)`. */
  app: Hono<ConsoleEnv>;
  /** Every mutating route and its action: what the audit test enumerates. */
  actions: ReadonlyMap<string, A>;
  /** The generated development login, when one was made. */
  developmentToken: string | undefined;
  /** True when a login is configured (outside development the console refuses every page otherwise). */
  enabled: boolean;
  /** Stops the console's background work. */
  close(): Promise<void>;
}

/**
 * The operator's console: server-rendered screens over the toolkit's tables
 * (jobs, schedules, inbox, migrations, database, audit log), with logins and
 * roles, a CSRF token on every mutating request, a nonce-based CSP,
 * `cache-control: no-store`, and an audit row for every action.
 *
 * @example
 * const console = createConsole({ pool, credentials: { adminTokens: [token] }, development: false });
 * app.route("/ops", console.app);
 */
export function createConsole<const S extends readonly ConsoleScreen[]>(
  options: ConsoleOptions<S> & { screens: S },
): Console<ConsoleAction | ScreenAction<S[number]>>;
// Last, so that `Parameters<typeof createConsole>` is the plain options.
export function createConsole(options: ConsoleOptions): Console;
export function createConsole(options: ConsoleOptions<readonly ConsoleScreen[]>): Console<string> {
  const basePath = options.basePath ?? "/ops";
  const log = options.log ?? createLogger({ level: "silent" });
  const credentials = createConsoleCredentials(options.credentials, options.development);
  const secrets = [...(options.secrets ?? []), ...credentials.secrets].filter((s) => s.length >= 6);
  // One list; the navigation, the permissions table and the routes all come from it.
  const screens: readonly ConsoleScreen[] = [...BUILT_IN_SCREENS, ...(options.screens ?? [])];
  checkScreens(screens, Object.keys(LOGIN_PERMISSIONS));
  const permissions: Permissions<string> = {
    ...LOGIN_PERMISSIONS,
    ...permissionsOf(screens),
    ...options.permissions,
  };
  const ttlMs = options.sessionTtlMs ?? 8 * 3600_000;
  const app = new Hono<ConsoleEnv>();

  app.use("*", async (c, next) => {
    await next();
    c.header("cache-control", "no-store");
  });
  app.use(
    "*",
    secureHeaders({
      contentSecurityPolicy: {
        defaultSrc: ["'none'"],
        scriptSrc: [NONCE],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", "data:"],
        connectSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
      },
      referrerPolicy: "same-origin",
      crossOriginResourcePolicy: "same-origin",
    }),
  );
  app.use("*", scrubSecrets(secrets));
  // Refused before any handler reads them: a query value Postgres cannot
  // store fails a filter's query with 22021 (a 500) otherwise.
  app.use("*", async (c, next) => {
    let problem: string | undefined;
    for (const [name, values] of Object.entries(c.req.queries()))
      for (const value of values) problem ??= invalidField({ [name]: value }, "query field");
    if (problem) return refusal(c as ConsoleContext, basePath, 400, "Bad request", problem);
    await next();
  });
  app.onError((error, c) => {
    // A known refusal thrown outside a route's own guard keeps its status;
    // anything else is a defect: logged, and answered without its detail.
    const known = isOpskitError(error) && error.status < 500;
    if (!known) log.error({ err: error, path: c.req.path }, "console request failed");
    return c.html(
      renderMessagePage({
        title: known ? "Bad request" : "Something went wrong",
        text: known ? error.message : "The console hit an unexpected error; it is in the log.",
        basePath,
        nonce: c.get("secureHeadersNonce"),
      }),
      known ? (error.status as 400) : 500,
    );
  });
  // The overview is `/ops`; a sub-app's "/" does not match a trailing slash.
  app.use("*", async (c, next) => {
    if (c.req.path === `${basePath}/`) return c.redirect(basePath, 301);
    await next();
  });
  mountConsoleAssets(app);

  app.use("*", async (c, next) => {
    if (!credentials.configured && !options.sso) {
      return c.html(
        renderMessagePage({
          title: "Console not configured",
          text: "No console login is configured. Set OPSKIT_CONSOLE_ADMIN_TOKENS (or the operator/viewer tokens, or OPSKIT_CONSOLE_USERS) and restart.",
          basePath,
          nonce: c.get("secureHeadersNonce"),
        }),
        503,
      );
    }
    const cookie = getCookie(c as ConsoleContext, SESSION_COOKIE);
    c.set("session", cookie ? await findConsoleSession(options.pool, cookie) : undefined);
    await next();
  });

  const router = createConsoleRouter<string>({
    app,
    basePath,
    pool: options.pool,
    log,
    permissions,
    navigation: navigationOf(screens),
    environment: options.environment ?? (options.development ? "development" : "production"),
    trustProxy: options.trustProxy === true,
  });
  registerLogin(router, app, {
    credentials,
    sso: options.sso,
    pool: options.pool,
    ttlMs,
    secure: (c) => isHttpsRequest(c, options.trustProxy === true),
    throttle: createLoginThrottle(options.loginThrottle),
    clientAddress: (c) => clientAddress(c, options.trustProxy === true),
    log,
  });

  const deps: ScreenDeps<string> = {
    pool: options.pool,
    jobs: createJobsAdmin(options.pool),
    inbox: createInboxAdmin(options.pool),
    router,
    permissions,
    bulkCap: options.bulkCap ?? 1000,
    health: options.health,
    migrationSources: options.migrationSources,
    inboxSecretIds: options.inboxSecretIds,
  };
  for (const screen of screens) screen.register(deps);
  const interval = options.sampleIntervalMs ?? 10_000;
  const sampler =
    (credentials.configured || options.sso !== undefined) && interval > 0
      ? createBacklogSampler(options.pool, log, interval)
      : undefined;

  return {
    app,
    actions: router.actions,
    developmentToken: credentials.developmentToken,
    enabled: credentials.configured || options.sso !== undefined,
    close: async () => sampler?.stop(),
  };
}
