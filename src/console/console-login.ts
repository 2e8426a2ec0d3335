import type { Hono } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { randomBytes } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { recordAudit } from "../audit/index.js";
import { withTransaction, type Pool } from "../db/index.js";
import { isOpskitError } from "../errors.js";
import type { Logger } from "../log/index.js";
import type { ConsoleCredentials } from "./console-credentials.js";
import { looksLikeJwt, ssoIdentity, type ConsoleSso } from "./console-sso.js";
import {
  readForm,
  refusal,
  safeReturn,
  sameToken,
  SESSION_COOKIE,
  type ConsoleEnv,
  type ConsoleRouter,
} from "./console-router.js";
import { html } from "./html.js";
import { renderBarePage } from "./layout.js";
import type { LoginThrottle } from "./login-throttle.js";
import type { Permissions } from "./permissions.js";
import { invalidField } from "./request-input.js";
import { createConsoleSession, deleteConsoleSession } from "./sql/console-sessions.js";

/**
 * The login's own actions: any role may log in and out. They stay with the
 * login code, not a screen: the login page has no session and no layout.
 */
export const LOGIN_PERMISSIONS = {
  "console.login": ["viewer", "operator", "admin"],
  "console.logout": ["viewer", "operator", "admin"],
} as const satisfies Permissions<string>;

export type LoginAction = keyof typeof LOGIN_PERMISSIONS;

/**
 * The login form's double-submit cookie. Over https it is `__Host-`
 * prefixed (Secure, Path=/, no Domain: a sibling subdomain cannot plant
 * one); browsers refuse `__Host-` cookies on plain http, so in development
 * over http it keeps the plain name, and each scheme reads only its own.
 */
const LOGIN_COOKIE = "opskit_console_login";
const HOST_LOGIN_COOKIE = `__Host-${LOGIN_COOKIE}`;

export type LoginContext = Parameters<Parameters<ConsoleRouter["raw"]>[3]>[0];

export interface LoginDeps {
  credentials: ConsoleCredentials;
  /** The identity provider's tokens, when single sign-on is configured. */
  sso: ConsoleSso | undefined;
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
export function clientAddress(c: LoginContext, trustProxy: boolean): string {
  const forwarded = trustProxy ? c.req.header("x-forwarded-for") : undefined;
  if (forwarded) return forwarded.split(",").at(-1)?.trim() ?? "unknown";
  const env = c.env as { incoming?: IncomingMessage } | undefined;
  return env?.incoming?.socket.remoteAddress ?? "unknown";
}

export function registerLogin(
  router: ConsoleRouter<LoginAction>,
  app: Hono<ConsoleEnv>,
  deps: LoginDeps,
): void {
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
      return refusal(c, basePath, 400, "Bad request", problem);
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
    const token = form.token ?? "";
    const identity = name
      ? await deps.credentials.verifyPassword(name, form.password ?? "")
      : deps.sso && looksLikeJwt(token)
        ? await ssoIdentity(deps.sso, token)
        : deps.credentials.verifyToken(token);
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
