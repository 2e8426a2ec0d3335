import { JOB_STATES, type JobFilter, type JobState } from "../jobs/index.js";
import { OpskitError } from "../errors.js";
import { html, type Html } from "./html.js";
import { printable } from "./request-input.js";

/** "Within the last …" choices of the filter forms, in seconds. */
export const WITHIN = [
  ["", "any time"],
  ["900", "15 min"],
  ["3600", "1 hour"],
  ["86400", "24 hours"],
  ["604800", "7 days"],
] as const;

/** The longest `within` accepted: ten years, in seconds. */
const MAX_WITHIN = 10 * 366 * 86400;

/**
 * A `datetime-local` value (read as UTC) or an ISO time; undefined when
 * empty. Anything else, or a year outside 1–9999 (which JavaScript reads but
 * Postgres refuses or a browser cannot show: 22008), is a 400 naming the field.
 */
export function parseTime(value: string | undefined, field = "time"): Date | undefined {
  if (!value) return undefined;
  const text = /[zZ]|[+-]\d\d:?\d\d$/.test(value) ? value : `${value}Z`;
  const date = new Date(text);
  const year = date.getUTCFullYear();
  if (Number.isNaN(date.getTime()) || year < 1 || year > 9999) {
    throw new OpskitError(
      "BAD_REQUEST",
      `The ${field} filter "${printable(value).slice(0, 40)}" is not a date and time from year 1 to 9999 (UTC), like 2026-01-31T09:30.`,
    );
  }
  return date;
}

/** The time window of a filter: `within` seconds back from now, or since/until. */
export function timeWindow(
  q: Record<string, string | undefined>,
  now = Date.now(),
): { since: Date | undefined; until: Date | undefined } {
  if (q.within) {
    const within = Number(q.within);
    if (!/^\d+$/.test(q.within) || within < 1 || within > MAX_WITHIN) {
      throw new OpskitError(
        "BAD_REQUEST",
        `The within filter "${printable(q.within).slice(0, 40)}" is not a number of seconds from 1 to ${MAX_WITHIN}.`,
      );
    }
    return { since: new Date(now - within * 1000), until: undefined };
  }
  return { since: parseTime(q.since, "since"), until: parseTime(q.until, "until") };
}

const text = (value: string | undefined, max = 200): string | undefined => {
  const trimmed = value?.trim();
  return trimmed ? trimmed.slice(0, max) : undefined;
};

/** The jobs filter in a query string (or a form). */
export function parseJobFilter(q: Record<string, string | undefined>): JobFilter {
  const state = (JOB_STATES as readonly string[]).includes(q.state ?? "")
    ? (q.state as JobState)
    : undefined;
  return {
    state,
    queue: text(q.queue),
    task: text(q.task),
    payload: text(q.payload),
    ...timeWindow(q),
  };
}

/** The query fields that describe a jobs filter, as given (to carry into links and forms). */
export const JOB_FILTER_FIELDS = ["state", "queue", "task", "payload", "within", "since", "until"];

export function pickFields(
  q: Record<string, string | undefined>,
  fields: readonly string[],
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of fields) {
    const v = q[f];
    if (v !== undefined && v !== "") out[f] = v;
  }
  return out;
}

/** Hidden inputs carrying a filter into a confirmation form. */
export function hiddenFields(fields: Record<string, string>): Html {
  return html`${Object.entries(fields).map(
    ([k, v]) => html`<input type="hidden" name="${k}" value="${v}" />`,
  )}`;
}

/** The filter form of the jobs screen. */
export function jobFilterForm(action: string, q: Record<string, string | undefined>): Html {
  return html`<form method="get" action="${action}" class="filters">
    <label
      >State
      <select name="state">
        <option value="">any</option>
        ${JOB_STATES.map(
          (s) => html`<option value="${s}" ${q.state === s ? "selected" : ""}>${s}</option>`,
        )}
      </select>
    </label>
    <label>Queue <input name="queue" value="${q.queue ?? ""}" /></label>
    <label>Task <input name="task" value="${q.task ?? ""}" /></label>
    <label
      >Within
      <select name="within">
        ${WITHIN.map(
          ([v, label]) =>
            html`<option value="${v}" ${(q.within ?? "") === v ? "selected" : ""}>
              ${label}
            </option>`,
        )}
      </select>
    </label>
    <label>Since (UTC) <input type="datetime-local" name="since" value="${q.since ?? ""}" /></label>
    <label>Until (UTC) <input type="datetime-local" name="until" value="${q.until ?? ""}" /></label>
    <label>Payload contains <input name="payload" value="${q.payload ?? ""}" /></label>
    <button type="submit">Filter</button>
  </form>`;
}
