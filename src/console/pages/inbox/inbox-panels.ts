import type { ConsoleContext } from "../../console-router.js";
import { badge, html, query, table, time, type Html } from "../../html.js";
import { pickFields } from "../../job-filter-form.js";
import { formFields } from "../../layout.js";
import { queryId } from "../../request-input.js";
import { allowed, definePanel, queryOf } from "../../screen-kit.js";
import {
  EVENT_FILTER_FIELDS,
  eventFilterForm,
  matchesFilter,
  parseEventFilter,
} from "./event-filter.js";
import type { InboxDeps } from "./index.js";

const PAGE = 50;

/** A source's pause form (with its required reason) or resume button. */
function sourceSwitch(deps: InboxDeps, c: ConsoleContext, name: string, paused: boolean): Html {
  const base = deps.router.basePath;
  const session = c.get("session");
  const action = paused ? "inbox.resume_source" : "inbox.pause_source";
  if (!session || !allowed(deps, c, action)) return html``;
  return html`<form
    method="post"
    action="${base}/inbox/sources/${encodeURIComponent(name)}/${paused ? "resume" : "pause"}"
    class="inline"
  >
    ${formFields(session, `${base}/inbox`)}
    ${paused ? "" : html`<input name="reason" placeholder="reason" required />`}
    <button type="submit" data-action="${action}">${paused ? "Resume" : "Pause"}</button>
  </form>`;
}

/** The sources panel: verifier, masked secret ids, retention, paused by whom and why. */
function sourcesPanel(deps: InboxDeps) {
  const base = deps.router.basePath;
  return definePanel(deps, "inbox-sources", "Sources", async (c) => {
    const rows = await deps.inbox.listSources();
    return table(
      ["source", "verifier", "secrets", "retention", "status", ""],
      rows.map((s) => {
        const ids = deps.inboxSecretIds?.get(s.name);
        return html`<tr data-source="${s.name}">
          <td><a href="${base}/inbox${query({ source: s.name })}">${s.name}</a></td>
          <td>${s.verifier}</td>
          <td>
            ${ids ? ids.map((id) => html`<code>${id}</code><br />`) : html`<span class="hint">known to the service only</span>`}
          </td>
          <td>${s.retention_days ? `${s.retention_days} d` : "kept"}</td>
          <td>
            ${s.paused ? html`${badge("paused")} <small>by ${s.paused_by ?? "?"} at ${time(s.paused_at)}: ${s.pause_reason ?? ""}</small>` : badge("active")}
          </td>
          <td>${sourceSwitch(deps, c, s.name, s.paused)}</td>
        </tr>`;
      }),
      "No source is registered (the service registers its sources when it starts).",
    );
  });
}

/** The events panel: the filtered events a page at a time (an exact dedupe key probes each source). */
function eventsPanel(deps: InboxDeps) {
  const base = deps.router.basePath;
  return definePanel(deps, "inbox-events", "Events", async (c) => {
    const q = queryOf(c);
    const before = queryId(q.before, "before");
    const filter = parseEventFilter(q);
    const rows =
      filter.dedupeKey !== undefined && filter.source === undefined
        ? (await deps.inbox.findEventsByDedupeKey(filter.dedupeKey)).filter((e) =>
            matchesFilter(e, filter),
          )
        : await deps.inbox.listEvents({
            ...filter,
            limit: PAGE,
            ...(before ? { beforeId: before } : {}),
          });
    const fields = pickFields(q, EVENT_FILTER_FIELDS);
    const last = rows.at(-1);
    return html`${
      allowed(deps, c, "inbox.bulk_replay")
        ? html`<p class="hint">
            <a href="${base}/inbox/replay${query(fields)}" data-bulk="replay"
              >Replay all matching… (dry run first)</a
            >
          </p>`
        : ""
    }
    ${table(
      ["id", "source", "topic", "dedupe key", "status", "attempts", "received", "last error"],
      rows.map(
        (e) =>
          html`<tr data-event="${e.id}">
            <td class="num"><a href="${base}/inbox/events/${e.id}">${e.id}</a></td>
            <td>${e.source}</td>
            <td>${e.topic ?? "—"}</td>
            <td><code>${e.dedupe_key}</code></td>
            <td>
              ${badge(e.status)}${e.replays ? html` <small>replayed ×${e.replays}</small>` : ""}
            </td>
            <td class="num">${e.attempts}</td>
            <td>${time(e.received_at)}</td>
            <td>${e.last_error ?? e.reject_reason ?? ""}</td>
          </tr>`,
      ),
      "No event matches.",
    )}
    ${rows.length === PAGE && last ? html`<p><a href="${base}/inbox${query({ ...fields, before: last.id })}">Older →</a></p>` : ""}`;
  });
}

/** The rejections panel: the last requests the inbox refused, and why. */
function rejectionsPanel(deps: InboxDeps) {
  return definePanel(deps, "inbox-rejections", "Recent rejected requests", async () => {
    const rows = await deps.inbox.listRejections({ limit: 10 });
    return table(
      ["at", "source", "reason", "status", "delivery id", "detail"],
      rows.map(
        (r) =>
          html`<tr>
            <td>${time(r.rejected_at)}</td>
            <td>${r.source}</td>
            <td>${r.reason}</td>
            <td class="num">${r.http_status}</td>
            <td><code>${r.delivery_id ?? ""}</code></td>
            <td>${r.detail ?? ""}</td>
          </tr>`,
      ),
      "No request was refused recently.",
    );
  });
}

/** `/inbox`: the sources, the filter, the events and the recent rejections. */
export function registerInboxPage(deps: InboxDeps): void {
  const sources = sourcesPanel(deps);
  const events = eventsPanel(deps);
  const rejections = rejectionsPanel(deps);
  deps.router.page("/inbox", "Inbox", async (c) => {
    const q = queryOf(c);
    return html`${await sources(c)} ${eventFilterForm(`${deps.router.basePath}/inbox`, q)}
    ${await events(c)}${await rejections(c)}`;
  });
}
