import type { NavLink } from "./console-screen.js";
import { html, raw, type Html } from "./html.js";
import type { ConsoleSession } from "./sql/console-sessions.js";

// htmx reads its config from this meta tag. Off: the indicator <style> it
// would inject and eval-based features (both blocked by the CSP anyway), and
// the history cache, which would copy pages into localStorage.
const HTMX_CONFIG = JSON.stringify({
  includeIndicatorStyles: false,
  allowEval: false,
  allowScriptTags: false,
  historyCacheSize: 0,
  selfRequestsOnly: true,
});

function head(title: string, basePath: string, nonce: string | undefined, csrf?: string): Html {
  const assets = `${basePath}/assets`;
  return html`<head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <meta name="htmx-config" content="${HTMX_CONFIG}" />
    ${csrf ? html`<meta name="csrf-token" content="${csrf}" />` : ""}
    <title>${title} · opskit console</title>
    <link rel="stylesheet" href="${assets}/uPlot.min.css" />
    <link rel="stylesheet" href="${assets}/console.css" />
    <script nonce="${nonce ?? ""}" src="${assets}/htmx.min.js"></script>
    <script nonce="${nonce ?? ""}" src="${assets}/uPlot.iife.min.js"></script>
    <script nonce="${nonce ?? ""}" src="${assets}/console.js"></script>
  </head>`;
}

/** The hidden fields every console form carries. */
export function formFields(session: ConsoleSession, returnTo?: string): Html {
  return html`<input type="hidden" name="_csrf" value="${session.csrfToken}" />${
      returnTo ? html`<input type="hidden" name="return_to" value="${returnTo}" />` : ""
    }`;
}

export interface LayoutOptions {
  title: string;
  body: Html;
  basePath: string;
  session: ConsoleSession;
  environment: string;
  /** The screens in the navigation bar (`navigationOf` the console's screens). */
  navigation: readonly NavLink[];
  flash: string | undefined;
  nonce: string | undefined;
  path: string;
}

/** The page around every screen: navigation, who is logged in, refresh rate, the flash message. */
export function renderLayout(o: LayoutOptions): Html {
  const current = o.path.replace(/\/$/, "");
  const nav = o.navigation.map(({ path, title }) => {
    // The overview is the console's root: active only there, not on every page.
    const href = path === "/" ? o.basePath : `${o.basePath}${path}`;
    const active = path === "/" ? current === o.basePath : current.startsWith(href);
    return html`<a href="${href}" class="${active ? "active" : ""}">${title}</a>`;
  });
  return html`<!doctype html>
    <html lang="en">
      ${head(o.title, o.basePath, o.nonce, o.session.csrfToken)}
      <body>
        <header>
          <strong class="brand">opskit</strong>
          <span class="badge badge-env badge-${o.environment}">${o.environment}</span>
          <nav>${nav}</nav>
          <label class="refresh"
            >Refresh
            <select id="refresh-rate" aria-label="Live refresh">
              <option value="0">off</option>
              <option value="2">2 s</option>
              <option value="5">5 s</option>
              <option value="15">15 s</option>
            </select>
          </label>
          <span class="who">${o.session.actor} (${o.session.role})</span>
          <form method="post" action="${o.basePath}/logout" class="inline">
            ${formFields(o.session)}<button type="submit">Log out</button>
          </form>
        </header>
        <main>
          ${o.flash ? html`<p class="flash" role="status">${o.flash}</p>` : ""}
          <h1>${o.title}</h1>
          ${o.body}
        </main>
      </body>
    </html>`;
}

/** A page with no session: the login form and refusals. */
export function renderBarePage(o: {
  title: string;
  body: Html;
  basePath: string;
  nonce: string | undefined;
}): Html {
  return html`<!doctype html>
    <html lang="en">
      ${head(o.title, o.basePath, o.nonce)}
      <body class="bare">
        <main>
          <h1>${o.title}</h1>
          ${o.body}
        </main>
      </body>
    </html>`;
}

export function renderMessagePage(o: {
  title: string;
  text: string;
  basePath: string;
  nonce: string | undefined;
}): Html {
  return renderBarePage({
    ...o,
    body: html`<p class="message">${o.text}</p>
      <p><a href="${o.basePath}">Back to the console</a></p>`,
  });
}

export { raw };
