import {
  EVENT_STATUSES,
  type InboxEventFilter,
  type InboxEventStatus,
  type InboxEventSummary,
} from "../../../inbox/index.js";
import { html, type Html } from "../../html.js";
import { timeWindow, WITHIN } from "../../job-filter-form.js";

/** The query (or form) fields the inbox filter reads. */
export const EVENT_FILTER_FIELDS = [
  "source",
  "topic",
  "status",
  "dedupe_key",
  "within",
  "since",
  "until",
];

/** The inbox filter in a query string (or a form). */
export function parseEventFilter(q: Record<string, string | undefined>): InboxEventFilter {
  const t = (v: string | undefined) => (v?.trim() ? v.trim().slice(0, 300) : undefined);
  const status = (EVENT_STATUSES as readonly string[]).includes(q.status ?? "")
    ? (q.status as InboxEventStatus)
    : undefined;
  return {
    source: t(q.source),
    topic: t(q.topic),
    status,
    dedupeKey: t(q.dedupe_key),
    ...timeWindow(q),
  };
}

/** The filter's other fields, for the few events an exact dedupe key finds. */
export function matchesFilter(e: InboxEventSummary, f: InboxEventFilter): boolean {
  return (
    (f.topic === undefined || e.topic === f.topic) &&
    (f.status === undefined || e.status === f.status) &&
    (f.since === undefined || e.received_at >= f.since) &&
    (f.until === undefined || e.received_at < f.until)
  );
}

/** The inbox's filter form (a GET to `action`), filled from the query. */
export function eventFilterForm(action: string, q: Record<string, string | undefined>): Html {
  return html`<form method="get" action="${action}" class="filters">
    <label>Source <input name="source" value="${q.source ?? ""}" /></label>
    <label>Topic <input name="topic" value="${q.topic ?? ""}" /></label>
    <label
      >Status
      <select name="status">
        <option value="">any</option>
        ${EVENT_STATUSES.map((s) => html`<option value="${s}" ${q.status === s ? "selected" : ""}>${s}</option>`)}
      </select>
    </label>
    <label
      >Within
      <select name="within">
        ${WITHIN.map(([v, label]) => html`<option value="${v}" ${(q.within ?? "") === v ? "selected" : ""}>${label}</option>`)}
      </select>
    </label>
    <label>Since (UTC) <input type="datetime-local" name="since" value="${q.since ?? ""}" /></label>
    <label>Until (UTC) <input type="datetime-local" name="until" value="${q.until ?? ""}" /></label>
    <label>Dedupe key (exact) <input name="dedupe_key" value="${q.dedupe_key ?? ""}" /></label>
    <button type="submit">Filter</button>
  </form>`;
}
