import { Hono } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { NONCE, secureHeaders } from "hono/secure-headers";
import { randomBytes } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Pool } from "../db/index.js";
import type { Health } from "../health/index.js";
import { createInboxAdmin } from "../inbox/index.js";
import { createBacklogSampler, createJobsAdmin } from "../jobs/index.js";
import { createLogger, type Logger } from "../log/index.js";
import type { MigrationSource } from "../migrate/index.js";
import { mountConsoleAssets } from "./console-assets.js";
import {
  createConsoleCredentials,
  type ConsoleCredentials,
  type CredentialsInput,
} from "./console-credentials.js";
import {
  createConsoleRouter,
  readForm,
  safeReturn,
  sameToken,
  SESSION_COOKIE,
  type ConsoleContext,
  type ConsoleEnv,
  type ConsoleRouter,
} from "./console-router.js";
import { html } from "./html.js";
import {
  createLoginThrottle,
  type LoginThrottle,
  type LoginThrottleOptions,
} from "./login-throttle.js";
import { renderBarePage, renderMessagePage } from "./layout.js";
import { resolvePermissions, type ConsoleAction, type Permissions } from "./permissions.js";
import { scrubSecrets } from "./scrub-secrets.js";
import { invalidField } from "./request-input.js";
import { isHttpsRequest } from "./request-origin.js";
import { withTransaction } from "../db/index.js";
import { recordAudit } from "../audit/index.js";
import { isOpskitError } from "../errors.js";
import {
  createConsoleSession,
  deleteConsoleSession,
  findConsoleSession,
} from "./sql/console-sessions.js";
import { registerScreens, type ScreenDeps } from "./screens.js";

export interface ConsoleOptions {
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
  /** Overrides of the per-action role lists. */
  permissions?: Partial<Permissions>;
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
}

export interface Console {
  /** Mount at `basePath`: `app.route("/ops", console.app)`. */
  app: Hono<ConsoleEnv>;
  /** Every mutating route and its action: what the audit test enumerates. */
  actions: ReadonlyMap<string, ConsoleAction>;
  /** The generated development login, when one was made. */
  developmentToken: string | undefined;
  /** True when a login is configured (outside development the console refuses every page otherwise). */
  enabled: boolean;
  /** Stops the console's background work. */
  close(): Promise<void>;
}

/**
 * The login form's double-submit cookie. Over https it is `__Host-`
 * prefixed (Secure, Path=/, no Domain: a sibling subdomain cannot plant
 * one); browsers refuse `__Host-` cookies on plain http, so in development
 * over http it keeps the plain name, and each scheme reads only its own.
 */
const LOGIN_COOKIE = "opskit_console_login";
const HOST_LOGIN_COOKIE = `__Host-${LOGIN_COOKIE}`;

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
export function createConsole(options: ConsoleOptions): Console {
  const basePath = options.basePath ?? "/ops";
  const log = options.log ?? createLogger({ level: "silent" });
  const credentials = createConsoleCredentials(options.credentials, options.development);
  const secrets = [...(options.secrets ?? []), ...credentials.secrets].filter((s) => s.length >= 6);
  const permissions = resolvePermissions(options.permissions);
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
    if (problem)
      return c.html(
        renderMessagePage({
          title: "Bad request",
          text: problem,
          basePath,
          nonce: c.get("secureHeadersNonce"),
        }),
        400,
      );
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
    if (!credentials.configured) {
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

  const router = createConsoleRouter({
    app,
    basePath,
    pool: options.pool,
    log,
    permissions,
    environment: options.environment ?? (options.development ? "development" : "production"),
    trustProxy: options.trustProxy === true,
  });
  registerLogin(router, app, {
    credentials,
    pool: options.pool,
    ttlMs,
    secure: (c) => isHttpsRequest(c, options.trustProxy === true),
    throttle: createLoginThrottle(options.loginThrottle),
    clientAddress: (c) => clientAddress(c, options.trustProxy === true),
    log,
  });

  const deps: ScreenDeps = {
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
  registerScreens(deps);
  const interval = options.sampleIntervalMs ?? 10_000;
  const sampler =
    credentials.configured && interval > 0
      ? createBacklogSampler(options.pool, log, interval)
      : undefined;

  return {
    app,
    actions: router.actions,
    developmentToken: credentials.developmentToken,
    enabled: credentials.configured,
    close: async () => sampler?.stop(),
  };
}

type LoginContext = Parameters<Parameters<ConsoleRouter["raw"]>[3]>[0];

interface LoginDeps {
  credentials: ConsoleCredentials;
  pool: Pool;
  ttlMs: number;
  secure: (c: LoginContext) => boolean;
  throttle: LoginThrottle;
  clientAddress: (c: LoginContext) => string;
  log: Logger;
}

/**
 * The client's address: the socket's peer, or behind a trusted proxy the
 * last `X-Forwarded-For` entry (the one that proxy appended).
 */
function clientAddress(c: LoginContext, trustProxy: boolean): string {
  const forwarded = trustProxy ? c.req.header("x-forwarded-for") : undefined;
  if (forwarded) return forwarded.split(",").at(-1)?.trim() ?? "unknown";
  const env = c.env as { incoming?: IncomingMessage } | undefined;
  return env?.incoming?.socket.remoteAddress ?? "unknown";
}

function registerLogin(router: ConsoleRouter, app: Hono<ConsoleEnv>, deps: LoginDeps): void {
  const { basePath } = router;
  const loginPage = (
    c: LoginContext,
    next: string,
    error?: string,
    status: 401 | 429 | 503 = 401,
  ) => {
    // Login CSRF: the form carries a random value that must match a cookie
    // set with it (double submit), so another site cannot log a browser in.
    const token = randomBytes(24).toString("base64url");
    if (deps.secure(c))
      setCookie(c, HOST_LOGIN_COOKIE, token, {
        path: "/",
        httpOnly: true,
        sameSite: "Strict",
        secure: true,
      });
    else setCookie(c, LOGIN_COOKIE, token, { path: basePath, httpOnly: true, sameSite: "Strict" });
    const fields = html`<input type="hidden" name="_csrf" value="${token}" />
      <input type="hidden" name="next" value="${next}" />`;
    return c.html(
      renderBarePage({
        title: "Log in to the opskit console",
        basePath,
        nonce: c.get("secureHeadersNonce"),
        body: html`${error ? html`<p class="flash error" role="alert">${error}</p>` : ""}
          <div class="login">
            <form method="post" action="${basePath}/login" class="card">
              <h2>Operator token</h2>
              ${fields}
              <label
                >Token <input type="password" name="token" autocomplete="off" required
              /></label>
              <button type="submit">Log in</button>
            </form>
            <form method="post" action="${basePath}/login" class="card">
              <h2>Name and password</h2>
              ${fields}
              <label>Name <input type="text" name="name" autocomplete="username" required /></label>
              <label
                >Password
                <input type="password" name="password" autocomplete="current-password" required
              /></label>
              <button type="submit">Log in</button>
            </form>
          </div>`,
      }),
      error ? status : 200,
    );
  };

  app.get("/login", (c) => loginPage(c, safeReturn(basePath, c.req.query("next"), basePath)));
  router.raw("POST", "/login", "console.login", async (c) => {
    const form = await readForm(c);
    const next = safeReturn(basePath, form.next, basePath);
    const requestId = c.get("requestId");
    const name = form.name?.trim();
    const claimed = name ? `${name.slice(0, 64)}` : "token";
    const problem = invalidField(form, "form field");
    if (problem) {
      await router.audit({
        actor: claimed,
        action: "console.login",
        requestId,
        result: "denied: invalid input",
      });
      return c.html(
        renderMessagePage({
          title: "Bad request",
          text: problem,
          basePath,
          nonce: c.get("secureHeadersNonce"),
        }),
        400,
      );
    }
    const formCookie = getCookie(c, deps.secure(c) ? HOST_LOGIN_COOKIE : LOGIN_COOKIE);
    if (!sameToken(form._csrf, formCookie ?? "\0")) {
      await router.audit({
        actor: claimed,
        action: "console.login",
        requestId,
        result: "denied: missing or wrong CSRF token",
      });
      return loginPage(c, next, "The login form expired; try again.");
    }
    const address = deps.clientAddress(c);
    const wait = deps.throttle.retryAfter(address);
    if (wait > 0) {
      // Not audited: the failure that started the refusal was.
      c.header("retry-after", String(wait));
      const minutes = Math.ceil(wait / 60);
      return loginPage(
        c,
        next,
        `Too many failed logins from this address; try again in ${minutes} minute${minutes === 1 ? "" : "s"}.`,
        429,
      );
    }
    const identity = name
      ? await deps.credentials.verifyPassword(name, form.password ?? "")
      : deps.credentials.verifyToken(form.token ?? "");
    if (!identity) {
      const refusing = deps.throttle.fail(address);
      await router.audit({
        actor: claimed,
        action: "console.login",
        requestId,
        params: { address },
        result: refusing
          ? "denied: bad credentials; further logins from this address refused for a while"
          : "denied: bad credentials",
      });
      return loginPage(c, next, "Those credentials are not valid.");
    }
    deps.throttle.succeed(address);
    // The session and its audit row commit together: a login that cannot
    // be audited opens no session.
    let cookie: string;
    try {
      cookie = await withTransaction(deps.pool, async (tx) => {
        const session = await createConsoleSession(tx, {
          ...identity,
          ttlMs: deps.ttlMs,
          userAgent: c.req.header("user-agent"),
        });
        await recordAudit(tx, {
          actor: identity.actor,
          action: "console.login",
          requestId,
          params: { role: identity.role },
          result: "ok",
        });
        return session.cookie;
      });
    } catch (error) {
      deps.log.error({ err: error }, "console login could not be completed");
      await router
        .audit({
          actor: identity.actor,
          action: "console.login",
          requestId,
          result: `error: ${isOpskitError(error) ? error.code : "INTERNAL"}`,
        })
        .catch(() => undefined);
      return loginPage(c, next, "The login could not be recorded; try again.", 503);
    }
    if (deps.secure(c)) deleteCookie(c, HOST_LOGIN_COOKIE, { path: "/", secure: true });
    else deleteCookie(c, LOGIN_COOKIE, { path: basePath });
    setCookie(c, SESSION_COOKIE, cookie, {
      path: basePath,
      httpOnly: true,
      sameSite: "Strict",
      secure: deps.secure(c),
      maxAge: Math.floor(deps.ttlMs / 1000),
    });
    return c.redirect(next, 303);
  });
  router.action("/logout", "console.logout", async (c, { tx }) => {
    const cookie = getCookie(c, SESSION_COOKIE);
    if (cookie) await deleteConsoleSession(tx, cookie);
    deleteCookie(c, SESSION_COOKIE, { path: basePath });
    return { result: "ok", redirect: `${basePath}/login` };
  });
}
