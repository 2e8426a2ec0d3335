import type { Context, Hono } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { timingSafeEqual } from "node:crypto";
import { recordAudit, type AuditEntry } from "../audit/index.js";
import type { Pool } from "../db/index.js";
import { isOpskitError, OpskitError } from "../errors.js";
import type { Logger } from "../log/index.js";
import { html, type Html } from "./html.js";
import { renderLayout, renderMessagePage } from "./layout.js";
import { can, type ConsoleAction, type Permissions } from "./permissions.js";
import type { ConsoleSession } from "./sql/console-sessions.js";

export interface ConsoleEnv {
  Variables: {
    session: ConsoleSession | undefined;
    secureHeadersNonce?: string;
    requestId?: string;
  };
}

export type ConsoleContext = Context<ConsoleEnv>;

/** What an action did, for the audit log and the operator. */
export interface ActionOutcome {
  /** What it acted on: `job 42`, `queue default`, `source shopify`. */
  target?: string | undefined;
  /** The request's parameters worth keeping (never a secret). */
  params?: Record<string, unknown> | undefined;
  /** `ok`, a count, `not_found` … */
  result: string;
  /** Shown to the operator on the next page. */
  flash?: string | undefined;
  /** Where to go next (inside the console); default the form's return_to. */
  redirect?: string | undefined;
  /** The handler wrote its own audit row (bulk actions claim theirs before acting). */
  audited?: boolean;
}

export interface ActionRequest {
  session: ConsoleSession;
  form: Record<string, string>;
  requestId: string | undefined;
}

export const FLASH_COOKIE = "opskit_console_flash";
export const SESSION_COOKIE = "opskit_console_session";

/**
 * The console's route table. Every mutating route is added through
 * `action()`, which checks the session, the CSRF token and the role's
 * permission, runs the handler, and writes the audit log whatever happened
 * (done, denied, failed); `actions` lists them so a test can prove that
 * every non-GET route of the app is one of them.
 */
export interface ConsoleRouter {
  readonly basePath: string;
  /** `"POST /ops/jobs/:id/retry" → "jobs.retry"` for every mutating route. */
  readonly actions: ReadonlyMap<string, ConsoleAction>;
  page(path: string, title: string, render: (c: ConsoleContext) => Promise<Html>): void;
  /** A fragment (a live panel): no layout. */
  fragment(path: string, render: (c: ConsoleContext) => Promise<Html>): void;
  json(path: string, read: (c: ConsoleContext) => Promise<unknown>): void;
  action(
    path: string,
    action: ConsoleAction,
    run: (c: ConsoleContext, request: ActionRequest) => Promise<ActionOutcome>,
  ): void;
  /** A mutating route with its own guard (the login: no session yet); it must call `audit`. */
  raw(
    method: "POST",
    path: string,
    action: ConsoleAction,
    handler: (c: ConsoleContext) => Promise<Response>,
  ): void;
  /** Writes one audit row (a failure is logged and thrown). */
  audit(entry: AuditEntry): Promise<void>;
}

export interface ConsoleRouterOptions {
  app: Hono<ConsoleEnv>;
  basePath: string;
  pool: Pool;
  log: Logger;
  permissions: Permissions;
  environment: string;
}

/** Reads a form body (urlencoded or multipart) as plain strings. */
export async function readForm(c: ConsoleContext): Promise<Record<string, string>> {
  const type = c.req.header("content-type") ?? "";
  if (!type.includes("application/x-www-form-urlencoded") && !type.includes("multipart/form-data"))
    return {};
  const body = await c.req.parseBody();
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(body)) if (typeof value === "string") out[key] = value;
  return out;
}

export function sameToken(a: string | undefined, b: string): boolean {
  if (a === undefined) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Sets the one-shot message the next page shows. */
export function setFlash(c: ConsoleContext, basePath: string, text: string): void {
  setCookie(c, FLASH_COOKIE, encodeURIComponent(text.slice(0, 500)), {
    path: basePath,
    httpOnly: true,
    sameSite: "Strict",
  });
}

/** Takes the one-shot message, if any. */
export function takeFlash(c: ConsoleContext, basePath: string): string | undefined {
  const value = getCookie(c, FLASH_COOKIE);
  if (value === undefined) return undefined;
  deleteCookie(c, FLASH_COOKIE, { path: basePath });
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}

/** A path inside the console to go back to; anything else falls back to `fallback`. */
export function safeReturn(basePath: string, value: string | undefined, fallback: string): string {
  if (
    value &&
    (value === basePath || value.startsWith(`${basePath}/`)) &&
    !value.startsWith("//") &&
    !value.includes("\\")
  )
    return value;
  return fallback;
}

export function createConsoleRouter(options: ConsoleRouterOptions): ConsoleRouter {
  const { app, basePath, pool, permissions } = options;
  const actions = new Map<string, ConsoleAction>();
  const log = options.log.child({ category: "console" });

  const audit = async (entry: AuditEntry): Promise<void> => {
    try {
      await recordAudit(pool, "opskit", entry);
    } catch (error) {
      // The action has happened (or was refused); a lost audit row must at least be logged.
      log.error({ err: error, action: entry.action, actor: entry.actor }, "audit write failed");
      throw error;
    }
  };

  const refuse = (c: ConsoleContext, status: 401 | 403 | 400, title: string, text: string) =>
    c.html(
      renderMessagePage({ title, text, basePath, nonce: c.get("secureHeadersNonce") }),
      status,
    );

  return {
    basePath,
    actions,
    audit,
    page(path, title, render) {
      app.get(path, async (c) => {
        const session = c.get("session");
        if (!session)
          return c.redirect(`${basePath}/login?next=${encodeURIComponent(c.req.path)}`, 303);
        const body = await render(c);
        return c.html(
          renderLayout({
            title,
            body,
            basePath,
            session,
            environment: options.environment,
            flash: takeFlash(c, basePath),
            nonce: c.get("secureHeadersNonce"),
            path: c.req.path,
          }),
        );
      });
    },
    fragment(path, render) {
      app.get(path, async (c) => {
        if (!c.get("session")) return c.html(html`<p>Log in again.</p>`, 401);
        return c.html(await render(c));
      });
    },
    json(path, read) {
      app.get(path, async (c) => {
        if (!c.get("session")) return c.json({ error: "log in again" }, 401);
        return c.json(await read(c));
      });
    },
    raw(method, path, action, handler) {
      actions.set(`${method} ${basePath}${path === "/" ? "" : path}`, action);
      app.on(method, path, handler);
    },
    action(path, action, run) {
      actions.set(`POST ${basePath}${path}`, action);
      app.post(path, async (c) => {
        const session = c.get("session");
        const requestId = c.get("requestId");
        if (!session) return refuse(c, 401, "Not logged in", "Log in to the console first.");
        const form = await readForm(c);
        const target = c.req.param() as Record<string, string>;
        const base = { actor: session.actor, action, requestId, params: { ...target } };
        const token = form._csrf ?? c.req.header("x-csrf-token");
        if (!sameToken(token, session.csrfToken)) {
          await audit({
            ...base,
            target: describeParams(target),
            result: "denied: missing or wrong CSRF token",
          });
          return refuse(
            c,
            403,
            "Refused",
            "This request carries no valid CSRF token. Reload the page and try again.",
          );
        }
        if (!can(permissions, session.role, action)) {
          await audit({
            ...base,
            target: describeParams(target),
            result: `denied: role ${session.role}`,
          });
          return refuse(
            c,
            403,
            "Not allowed",
            `Your role (${session.role}) may not do ${action}. Ask an admin; the attempt is in the audit log.`,
          );
        }
        const back = safeReturn(basePath, form.return_to, basePath);
        let outcome: ActionOutcome;
        try {
          outcome = await run(c, { session, form, requestId });
        } catch (error) {
          const known = isOpskitError(error) && error.status < 500;
          const message = known ? error.message : "an unexpected error (see the log)";
          if (!known) log.error({ err: error, action }, "console action failed");
          await audit({
            ...base,
            target: describeParams(target),
            result: `error: ${isOpskitError(error) ? error.code : "INTERNAL"}`,
            params: { ...target, ...publicParams(form), message },
          });
          setFlash(c, basePath, `${action} failed: ${message}`);
          return c.redirect(back, 303);
        }
        if (!outcome.audited) {
          await audit({
            ...base,
            target: outcome.target ?? describeParams(target),
            params: { ...target, ...publicParams(form), ...outcome.params },
            result: outcome.result,
          });
        }
        if (outcome.flash) setFlash(c, basePath, outcome.flash);
        return c.redirect(safeReturn(basePath, outcome.redirect, back), 303);
      });
    },
  };
}

function describeParams(params: Record<string, string>): string | undefined {
  const entries = Object.entries(params);
  return entries.length ? entries.map(([k, v]) => `${k} ${v}`).join(", ") : undefined;
}

/** The form minus the CSRF token and navigation fields. */
export function publicParams(form: Record<string, string>): Record<string, string> {
  const { _csrf: _token, return_to: _back, ...rest } = form;
  return rest;
}

export { OpskitError };
