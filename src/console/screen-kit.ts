import type { Health } from "../health/index.js";
import type { Pool } from "../db/index.js";
import type { InboxAdmin } from "../inbox/index.js";
import type { JobsAdmin } from "../jobs/index.js";
import type { MigrationSource } from "../migrate/index.js";
import type { ConsoleContext, ConsoleRouter } from "./console-router.js";
import { html, panel, type Html } from "./html.js";
import { formFields } from "./layout.js";
import { can, type ConsoleAction, type Permissions } from "./permissions.js";

/**
 * What every screen is built from. `A` is the actions the screen may add
 * and draw buttons for: its own (`ConsoleScreen<A>`), so a misspelt action
 * name does not compile.
 */
export interface ScreenDeps<A extends string = ConsoleAction> {
  pool: Pool;
  /** The job queue's operator handle: every read and action on jobs goes through it. */
  jobs: JobsAdmin;
  /** The inbox's operator handle. */
  inbox: InboxAdmin;
  router: ConsoleRouter<A>;
  /** The resolved table (defaults and the service's overrides); a screen sees its own actions. */
  permissions: Permissions<A>;
  bulkCap: number;
  health: Health | undefined;
  migrationSources: MigrationSource[] | undefined;
  inboxSecretIds: ReadonlyMap<string, readonly string[]> | undefined;
}

/** The page's query string, to carry filters into a live panel's URL. */
export function search(c: ConsoleContext): string {
  const q = new URL(c.req.url).search;
  return q;
}

/** The page's query values by name (the first of each), for filters. */
export function queryOf(c: ConsoleContext): Record<string, string | undefined> {
  return c.req.query();
}

/**
 * A live panel: served alone at `/panels/<id>` (what the refresh fetches)
 * and rendered inside its screen. Each panel's loader runs one query.
 */
export function definePanel<A extends string>(
  deps: ScreenDeps<A>,
  id: string,
  title: string,
  load: (c: ConsoleContext) => Promise<Html>,
): (c: ConsoleContext) => Promise<Html> {
  const render = async (c: ConsoleContext) =>
    panel({
      id,
      title,
      body: await load(c),
      src: `${deps.router.basePath}/panels/${id}${search(c)}`,
    });
  deps.router.fragment(`/panels/${id}`, render);
  return render;
}

/** True when the logged-in role may do `action` (to show or hide its button). */
export function allowed<A extends string>(
  deps: ScreenDeps<A>,
  c: ConsoleContext,
  action: NoInfer<A>,
): boolean {
  const session = c.get("session");
  return session !== undefined && can(deps.permissions, session.role, action);
}

/** A one-button form posting to a console action. */
export function actionButton<A extends string>(
  deps: ScreenDeps<A>,
  c: ConsoleContext,
  o: {
    action: NoInfer<A>;
    path: string;
    label: string;
    fields?: Record<string, string>;
    danger?: boolean;
  },
): Html {
  const session = c.get("session");
  if (!session || !allowed(deps, c, o.action)) return html``;
  const back = currentPage(c);
  return html`<form method="post" action="${deps.router.basePath}${o.path}" class="inline">
    ${formFields(session, back)}
    ${Object.entries(o.fields ?? {}).map(
      ([k, v]) => html`<input type="hidden" name="${k}" value="${v}" />`,
    )}
    <button type="submit" class="${o.danger ? "danger" : ""}" data-action="${o.action}">
      ${o.label}
    </button>
  </form>`;
}

/**
 * The page the operator is on: the request's own path, or for a panel that
 * htmx refreshed, the page it sits in (htmx sends `HX-Current-URL`).
 */
export function currentPage(c: ConsoleContext): string {
  const fromHtmx = c.req.header("hx-current-url");
  if (fromHtmx) {
    try {
      const url = new URL(fromHtmx);
      return url.pathname + url.search;
    } catch {
      // fall through to the request's own path
    }
  }
  return c.req.path + search(c);
}

/** A positive integer from a path or query parameter, or undefined. */
export function intParam(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d{1,9}$/.test(value)) return undefined;
  return Number(value);
}
