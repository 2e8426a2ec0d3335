import { html as honoHtml, raw } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";

/** Escaped HTML: interpolated values are escaped, nested `Html` is kept as is. */
export type Html = HtmlEscapedString;

/**
 * Hono's `html` tag, typed for the console's synchronous templates (every
 * page is built from values already read, never from promises).
 *
 * @example
 * html`<td>${job.task}</td>`; // task text is escaped
 */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  return honoHtml(strings, ...values) as Html;
}

export { raw };

/** `2026-11-23 11:30:03Z`, or an em dash for none. */
export function time(value: Date | string | null | undefined): string {
  if (value === null || value === undefined) return "—";
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) return "—";
  return date
    .toISOString()
    .replace("T", " ")
    .replace(/\.\d{3}Z$/, "Z");
}

/** A duration in seconds as `42 s`, `3 min`, `2.5 h`, `4 d`. */
export function age(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return "—";
  const s = Math.max(0, seconds);
  if (s < 90) return `${Math.round(s)} s`;
  if (s < 90 * 60) return `${Math.round(s / 60)} min`;
  if (s < 36 * 3600) return `${Math.round((s / 3600) * 10) / 10} h`;
  return `${Math.round(s / 86400)} d`;
}

/** A query string from a record, dropping empty values. */
export function query(params: Record<string, string | number | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

/** A table with a header row; `empty` when there are no rows. */
export function table(headers: string[], rows: Html[], empty = "Nothing here."): Html {
  if (rows.length === 0) return html`<p class="empty">${empty}</p>`;
  return html`<table>
    <thead>
      <tr>
        ${headers.map((h) => html`<th>${h}</th>`)}
      </tr>
    </thead>
    <tbody>
      ${rows}
    </tbody>
  </table>`;
}

/** A status word with its colour class (`pass`, `warn`, `fail`, `late`, `dead` …). */
export function badge(text: string, kind = text): Html {
  return html`<span class="badge badge-${kind.replace(/[^a-z_-]/gi, "")}">${text}</span>`;
}

/**
 * A screen's panel. A live panel reloads itself from `src` on every tick of
 * the refresh selector (console.js triggers `console-refresh` on each
 * `[data-refresh]` element; htmx fetches and swaps it whole).
 */
export function panel(o: {
  id: string;
  title: string;
  body: Html;
  src?: string | undefined;
}): Html {
  const live = o.src
    ? html` data-refresh hx-get="${o.src}" hx-trigger="console-refresh" hx-swap="outerHTML"`
    : "";
  return html`<section class="panel" id="panel-${o.id}" ${live}>
    <h2>${o.title}</h2>
    ${o.body}
  </section>`;
}
