import type { Context, Hono } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { timingSafeEqual } from "node:crypto";
import { recordAudit, setAuditResult, type AuditEntry } from "../audit/index.js";
import { withTransaction, type Pool, type PoolClient } from "../db/index.js";
import { isOpskitError, OpskitError } from "../errors.js";
import type { Logger } from "../log/index.js";
import { html, type Html } from "./html.js";
import type { NavLink } from "./console-screen.js";
import { renderLayout, renderMessagePage } from "./layout.js";
import { can, type ConsoleAction, type Permissions } from "./permissions.js";
import { foreignOrigin } from "./request-origin.js";
import { invalidField, invalidParams } from "./request-input.js";
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
  /** The handler wrote its own audit row through `tx` (bulk actions claim theirs before acting). */
  audited?: boolean;
}

export interface ActionRequest {
  session: ConsoleSession;
  form: Record<string, string>;
  requestId: string | undefined;
  /**
   * The action's transaction: every write it makes goes through `tx`, and
   * the router writes the audit row on it too, so both commit or neither.
   */
  tx: PoolClient;
  /**
   * For an effect no transaction can undo (a signal to another backend):
   * commits an audit row saying the action started, before the effect, so
   * the effect is never without a row. The router then sets that row's result.
   */
  recordIntent: (intent: Pick<ActionOutcome, "target" | "params">) => Promise<void>;
}

type RefusalStatus = 400 | 401 | 403 | 404 | 409 | 413;

export const FLASH_COOKIE = "opskit_console_flash";
export const SESSION_COOKIE = "opskit_console_session";

/**
 * The console's route table. Every mutating route is added through
 * `action()`, which checks the session, the Origin, the input, the CSRF
 * token and the role's permission, then runs the handler in a transaction
 * and writes the audit row on that same transaction: the action's writes
 * and its row commit together or not at all. A failure rolls back and is
 * audited in a transaction of its own; a refusal (denied) is audited too.
 * `actions` lists them so a test can prove that every non-GET route of the
 * app is one of them.
 */
export interface ConsoleRouter<A extends string = ConsoleAction> {
  readonly basePath: string;
  /**
   * `"POST /ops/jobs/:id/retry" → "jobs.retry"` for every mutating route (of
   * every screen: not narrowed to `A`, so one router serves them all).
   */
  readonly actions: ReadonlyMap<string, string>;
  page(path: string, title: string, render: (c: ConsoleContext) => Promise<Html>): void;
  /** A fragment (a live panel): no layout. */
  fragment(path: string, render: (c: ConsoleContext) => Promise<Html>): void;
  json(path: string, read: (c: ConsoleContext) => Promise<unknown>): void;
  action(
    path: string,
    action: A,
    run: (c: ConsoleContext, request: ActionRequest) => Promise<ActionOutcome>,
  ): void;
  /** A mutating route with its own guard (the login: no session yet); it must call `audit`. */
  raw(
    method: "POST",
    path: string,
    action: A,
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
  /** Every action's roles (login, built-in screens, the service's screens). */
  permissions: Permissions<string>;
  /** The navigation bar, derived from the screens. */
  navigation: readonly NavLink[];
  environment: string;
  /** Believe `X-Forwarded-Proto` / `X-Forwarded-Host` for the console's own origin. */
  trustProxy: boolean;
}

/** Reads a form body (urlencoded or multipart) as plain strings. */
export async function readForm(c: ConsoleContext): Promise<Record<string, string>> {
  const type = c.req.header("content-type") ?? "";
  if (!type.includes("application/x-www-form-urlencoded") && !type.includes("multipart/form-data"))
    return {};
  let body: Awaited<ReturnType<ConsoleContext["req"]["parseBody"]>>;
  try {
    body = await c.req.parseBody();
  } catch {
    // A multipart type with no or the wrong boundary, a truncated part: the
    // runtime's form parser throws a TypeError (a 500 if it went up).
    throw new OpskitError(
      "BAD_REQUEST",
      "The form's body could not be read as its content type says. Send the form again from the console's page.",
    );
  }
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
  // toWellFormed: encodeURIComponent throws on a lone surrogate.
  setCookie(c, FLASH_COOKIE, encodeURIComponent(wellFormed(text.slice(0, 500))), {
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

/**
 * A path inside the console to go back to; anything else falls back to
 * `fallback`. Only printable ASCII passes: a Location header cannot carry
 * CR or LF (header injection, and a TypeError from Headers: a 500) nor a
 * character above U+00FF; the console's own links are percent-encoded.
 */
export function safeReturn(basePath: string, value: string | undefined, fallback: string): string {
  if (
    value &&
    (value === basePath || value.startsWith(`${basePath}/`)) &&
    /^[\x21-\x7e]+$/.test(value) &&
    !value.startsWith("//") &&
    !value.includes("\\")
  )
    return value;
  return fallback;
}

/** Lone surrogates replaced by U+FFFD (String.prototype.toWellFormed, before ES2024 typings). */
function wellFormed(text: string): string {
  return text.replace(
    /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g,
    "\uFFFD",
  );
}

/** A refused request's page: the message in the console's layout, with its status. */
export function refusal(
  c: ConsoleContext,
  basePath: string,
  status: RefusalStatus,
  title: string,
  text: string,
): Response | Promise<Response> {
  return c.html(
    renderMessagePage({ title, text, basePath, nonce: c.get("secureHeadersNonce") }),
    status,
  );
}

export function createConsoleRouter<A extends string>(
  options: ConsoleRouterOptions,
): ConsoleRouter<A> {
  const { app, basePath, pool, permissions } = options;
  const actions = new Map<string, string>();
  const log = options.log.child({ category: "console" });

  const audit = async (entry: AuditEntry): Promise<void> => {
    try {
      await recordAudit(pool, entry);
    } catch (error) {
      // The action was refused; a lost audit row must at least be logged.
      log.error({ err: error, action: entry.action, actor: entry.actor }, "audit write failed");
      throw error;
    }
  };

  const refuse = (c: ConsoleContext, status: RefusalStatus, title: string, text: string) =>
    refusal(c, basePath, status, title, text);

  /** A read route's guard: its path parameters, and a known error (a bad filter) as its own status. */
  const read = async (c: ConsoleContext, render: () => Promise<Response>): Promise<Response> => {
    const problem = invalidParams(c.req.param());
    if (problem) return refuse(c, 400, "Bad request", problem);
    try {
      return await render();
    } catch (error) {
      if (isOpskitError(error) && error.status < 500)
        return refuse(c, error.status as RefusalStatus, "Bad request", error.message);
      throw error;
    }
  };

  /** Refuses a POST whose Origin is another site's; audits it as denied. */
  const crossOrigin = async (
    c: ConsoleContext,
    entry: Omit<AuditEntry, "result">,
  ): Promise<Response | undefined> => {
    const origin = foreignOrigin(c, options.trustProxy);
    if (origin === undefined) return undefined;
    await audit({ ...entry, result: `denied: cross-origin request (Origin ${origin})` });
    return refuse(
      c,
      403,
      "Refused",
      "This request came from another site (its Origin header is not the console's). Use the console's own pages.",
    );
  };

  return {
    basePath,
    actions,
    audit,
    page(path, title, render) {
      app.get(path, async (c) => {
        const session = c.get("session");
        if (!session)
          return c.redirect(`${basePath}/login?next=${encodeURIComponent(c.req.path)}`, 303);
        return read(c, async () => {
          const body = await render(c);
          return c.html(
            renderLayout({
              title,
              body,
              basePath,
              session,
              environment: options.environment,
              navigation: options.navigation,
              flash: takeFlash(c, basePath),
              nonce: c.get("secureHeadersNonce"),
              path: c.req.path,
            }),
          );
        });
      });
    },
    fragment(path, render) {
      app.get(path, async (c) => {
        if (!c.get("session")) return c.html(html`<p>Log in again.</p>`, 401);
        return read(c, async () => c.html(await render(c)));
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
      app.on(method, path, async (c) => {
        const refused = await crossOrigin(c, {
          actor: c.get("session")?.actor ?? "anonymous",
          action,
          requestId: c.get("requestId"),
        });
        return refused ?? handler(c);
      });
    },
    action(path, action, run) {
      actions.set(`POST ${basePath}${path}`, action);
      app.post(path, async (c) => {
        const session = c.get("session");
        const requestId = c.get("requestId");
        if (!session) return refuse(c, 401, "Not logged in", "Log in to the console first.");
        const target = c.req.param() as Record<string, string>;
        const base = { actor: session.actor, action, requestId, params: { ...target } };
        const refused = await crossOrigin(c, { ...base, target: describeParams(target) });
        if (refused) return refused;
        let form: Record<string, string> = {};
        let problem: string | undefined;
        try {
          form = await readForm(c);
          problem = invalidParams(target) ?? invalidField(form, "form field");
        } catch (error) {
          if (!isOpskitError(error)) throw error;
          problem = error.message;
        }
        if (problem) {
          await audit({ ...base, target: describeParams(target), result: "denied: invalid input" });
          return refuse(c, 400, "Bad request", problem);
        }
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
        // Set when the action commits an intent row before an effect no
        // transaction can undo; its result is then updated, not inserted.
        let intentId: string | undefined;
        const row = (outcome: Pick<ActionOutcome, "target" | "params" | "result">) => ({
          ...base,
          target: outcome.target ?? describeParams(target),
          params: { ...target, ...publicParams(form), ...outcome.params },
          result: outcome.result,
        });
        let outcome: ActionOutcome;
        try {
          outcome = await withTransaction(pool, async (tx) => {
            const done = await run(c, {
              session,
              form,
              requestId,
              tx,
              recordIntent: async (intent) => {
                if (intentId !== undefined) return;
                intentId = await recordAudit(pool, {
                  ...row({ ...intent, result: "started: not transactional" }),
                });
              },
            });
            if (!done.audited) {
              const entry = row(done);
              if (intentId === undefined) await recordAudit(tx, entry);
              else await setAuditResult(tx, intentId, entry.result, entry.params);
            }
            return done;
          });
        } catch (error) {
          // Rolled back: nothing the action wrote through `tx` is left. The
          // failure gets its own row, in a transaction of its own.
          const known = isOpskitError(error) && error.status < 500;
          const message = known ? error.message : "an unexpected error (see the log)";
          if (!known) log.error({ err: error, action }, "console action failed");
          const failure = row({
            result: `error: ${isOpskitError(error) ? error.code : "INTERNAL"}`,
            params: { message },
          });
          try {
            if (intentId === undefined) await recordAudit(pool, failure);
            else await setAuditResult(pool, intentId, failure.result, failure.params);
          } catch (auditError) {
            log.error({ err: auditError, action }, "audit write of a failed action failed");
          }
          setFlash(c, basePath, `${action} failed: ${message}`);
          return c.redirect(back, 303);
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
