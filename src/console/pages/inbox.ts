import {
  createInboxAdmin,
  EVENT_STATUSES,
  type InboxEventFilter,
  type InboxEventStatus,
  type InboxEventSummary,
} from "../../inbox/index.js";
import { OpskitError } from "../../errors.js";
import { newRequestKey, runBulkAction } from "../bulk-action.js";
import type { ConsoleContext } from "../console-router.js";
import { badge, html, query, table, time, type Html } from "../html.js";
import { hiddenFields, pickFields, timeWindow, WITHIN } from "../job-filter-form.js";
import { formFields } from "../layout.js";
import { queryId } from "../request-input.js";
import { allowed, definePanel, type ScreenDeps } from "../screen-kit.js";

const PAGE = 50;
const ID = "{[0-9]{1,18}}";
const BODY_SHOWN = 64 * 1024;
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
function matches(e: InboxEventSummary, f: InboxEventFilter): boolean {
  return (
    (f.topic === undefined || e.topic === f.topic) &&
    (f.status === undefined || e.status === f.status) &&
    (f.since === undefined || e.received_at >= f.since) &&
    (f.until === undefined || e.received_at < f.until)
  );
}

/** The raw body as text (pretty JSON when it is JSON), or a hex dump of binary. */
export function showBody(body: Buffer | null): string {
  if (body === null) return "(pruned by retention)";
  const shown = body.subarray(0, BODY_SHOWN);
  const text = shown.toString("utf8");
  if (text.includes("\uFFFD"))
    return `(binary, ${body.length} bytes) ${shown.subarray(0, 512).toString("hex")}`;
  try {
    if (shown.length === body.length) return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    // not JSON: shown as sent
  }
  return shown.length < body.length
    ? `${text}\n… (${body.length - shown.length} more bytes)`
    : text;
}

/** Inbox: sources, events, event detail; replay one or by filter, pause and resume a source. */
export function registerInboxScreen(deps: ScreenDeps): void {
  const { router, inbox } = deps;
  const base = router.basePath;
  const queryOf = (c: ConsoleContext) => c.req.query() as Record<string, string | undefined>;

  const sources = definePanel(deps, "inbox-sources", "Sources", async (c) => {
    const rows = await inbox.listSources();
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
          <td>${sourceSwitch(c, s.name, s.paused)}</td>
        </tr>`;
      }),
      "No source is registered (the service registers its sources when it starts).",
    );
  });

  const sourceSwitch = (c: ConsoleContext, name: string, paused: boolean): Html => {
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
  };

  const events = definePanel(deps, "inbox-events", "Events", async (c) => {
    const q = queryOf(c);
    const before = queryId(q.before, "before");
    const filter = parseEventFilter(q);
    const rows =
      filter.dedupeKey !== undefined && filter.source === undefined
        ? (await inbox.findEventsByDedupeKey(filter.dedupeKey)).filter((e) => matches(e, filter))
        : await inbox.listEvents({
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

  const rejections = definePanel(deps, "inbox-rejections", "Recent rejected requests", async () => {
    const rows = await inbox.listRejections({ limit: 10 });
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

  router.page("/inbox", "Inbox", async (c) => {
    const q = queryOf(c);
    return html`${await sources(c)}
      <form method="get" action="${base}/inbox" class="filters">
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
        <label
          >Since (UTC) <input type="datetime-local" name="since" value="${q.since ?? ""}"
        /></label>
        <label
          >Until (UTC) <input type="datetime-local" name="until" value="${q.until ?? ""}"
        /></label>
        <label>Dedupe key (exact) <input name="dedupe_key" value="${q.dedupe_key ?? ""}" /></label>
        <button type="submit">Filter</button>
      </form>
      ${await events(c)}${await rejections(c)}`;
  });

  router.page(`/inbox/events/:id${ID}`, "Inbox event", async (c) => {
    const id = c.req.param("id") ?? "";
    const e = await inbox.findEvent(id);
    if (!e) return html`<p>No inbox event ${id}.</p>`;
    const session = c.get("session")!;
    const secretIds = deps.inboxSecretIds?.get(e.source);
    const verifiedWith =
      e.secret_index === null
        ? "—"
        : `secret #${e.secret_index}${secretIds?.[e.secret_index] ? ` (${secretIds[e.secret_index]})` : ""}`;
    const replayable = (e.status === "processed" || e.status === "dead") && e.body !== null;
    return html`<p class="summary">
        ${badge(e.status)} <strong>${e.source}</strong> ${e.topic ?? ""}
        <code>${e.dedupe_key}</code>
      </p>
      ${
        replayable && allowed(deps, c, "inbox.replay")
          ? html`<form method="post" action="${base}/inbox/events/${e.id}/replay" class="filters">
              ${formFields(session, `${base}/inbox/events/${e.id}`)}
              <label>Reason <input name="reason" required placeholder="why replay" /></label>
              <button type="submit" data-action="inbox.replay">Replay this event</button>
            </form>`
          : ""
      }
      <div class="grid">
        <section class="panel">
          <h2>Event ${e.id}</h2>
          <dl class="facts">
            <dt>received</dt>
            <dd>${time(e.received_at)}</dd>
            <dt>verified with</dt>
            <dd>${verifiedWith}</dd>
            <dt>signed at</dt>
            <dd>${time(e.signed_at)}</dd>
            <dt>ordering key</dt>
            <dd>${e.ordering_key ?? "—"}</dd>
            <dt>processing attempts</dt>
            <dd>${e.attempts}</dd>
            <dt>last error</dt>
            <dd>${e.last_error ?? e.reject_reason ?? "—"}</dd>
            <dt>processed</dt>
            <dd>${time(e.processed_at)}</dd>
            <dt>replays</dt>
            <dd>
              ${e.replays}${e.last_replay ? ` (last: #${e.last_replay.id} by ${e.last_replay.requested_by} at ${time(e.last_replay.requested_at)}: ${e.last_replay.reason})` : ""}
            </dd>
            <dt>body</dt>
            <dd>
              ${e.body_bytes}
              bytes${e.payload_pruned_at ? `, pruned ${time(e.payload_pruned_at)}` : ""}
            </dd>
          </dl>
        </section>
        <section class="panel">
          <h2>Headers (signatures and credentials masked)</h2>
          ${table(
            ["header", "value"],
            Object.entries(e.headers).map(
              ([k, v]) =>
                html`<tr>
                  <td><code>${k}</code></td>
                  <td><code class="sql">${v}</code></td>
                </tr>`,
            ),
          )}
        </section>
      </div>
      <section class="panel">
        <h2>Body</h2>
        <pre>${showBody(e.body)}</pre>
      </section>`;
  });

  router.page("/inbox/replay", "Inbox: replay all matching", async (c) => {
    const q = queryOf(c);
    const session = c.get("session")!;
    const fields = pickFields(q, EVENT_FILTER_FIELDS);
    // Pinned to now: events that arrive after the preview are not part of it.
    if (!fields.until && !fields.within) fields.until = new Date().toISOString();
    if (fields.within) {
      const since = timeWindow(fields).since;
      delete fields.within;
      if (since) fields.since = since.toISOString();
      fields.until = new Date().toISOString();
    }
    const filter = parseEventFilter(fields);
    const { count } = await inbox.replayMany(filter, {
      by: session.actor,
      reason: "preview",
      dryRun: true,
    });
    const over = count > deps.bulkCap;
    return html`<p>
        Filter: <code>${JSON.stringify(fields)}</code>. Only processed and dead events with their
        payload are replayed.
      </p>
      <p class="summary" data-preview-count="${count}">
        ${badge(`dry run: ${count} event(s) would be replayed`, count ? "warn" : "pass")}
      </p>
      ${
        over
          ? html`<p class="flash error">
              That is more than the cap of ${deps.bulkCap}: narrow the filter (source, topic,
              status, time).
            </p>`
          : count === 0
            ? html`<p><a href="${base}/inbox${query(fields)}">Back</a></p>`
            : html`<form method="post" action="${base}/inbox/replay" class="filters">
                ${formFields(session, `${base}/inbox${query(fields)}`)} ${hiddenFields(fields)}
                <input type="hidden" name="request_key" value="${newRequestKey()}" />
                <input type="hidden" name="expected" value="${count}" />
                <label>Reason <input name="reason" required placeholder="why replay" /></label>
                <button type="submit" data-action="inbox.bulk_replay">
                  Replay ${count} event(s)
                </button>
              </form>`
      }`;
  });

  router.action("/inbox/replay", "inbox.bulk_replay", async (_c, request) => {
    const fields = pickFields(request.form, EVENT_FILTER_FIELDS);
    const filter = parseEventFilter(fields);
    if (!filter.until)
      throw new OpskitError("BAD_REQUEST", "Open the preview first: it pins the time window.");
    const { tx } = request;
    return runBulkAction(request, {
      action: "inbox.bulk_replay",
      target: `events matching ${JSON.stringify(fields)}`,
      params: { filter: fields, reason: request.form.reason, cap: deps.bulkCap },
      run: async () => {
        const reason = request.form.reason?.trim() ?? "";
        const dry = await createInboxAdmin(tx).replayMany(filter, {
          by: request.session.actor,
          reason,
          dryRun: true,
        });
        if (dry.count > deps.bulkCap) {
          throw new OpskitError(
            "BAD_REQUEST",
            `${dry.count} events match now, over the cap of ${deps.bulkCap}: narrow the filter.`,
          );
        }
        const done = await createInboxAdmin(tx).replayMany(filter, {
          by: request.session.actor,
          reason,
        });
        return {
          result: `${done.count} replayed`,
          flash: `${done.count} event(s) replayed (replay #${done.replayId ?? "?"}).`,
          params: { replay_id: done.replayId, count: done.count },
        };
      },
    });
  });

  router.action(
    `/inbox/events/:id${ID}/replay`,
    "inbox.replay",
    async (c, { session, form, tx }) => {
      const id = c.req.param("id") ?? "";
      const done = await createInboxAdmin(tx).replay(id, {
        by: session.actor,
        reason: form.reason?.trim() ?? "",
      });
      return {
        target: `event ${id}`,
        params: { reason: form.reason, replay_id: done.replayId },
        result: done.count ? "replayed" : "not_replayed",
        flash: done.count
          ? `Event ${id} replayed: it is pending again.`
          : `Event ${id} was not replayed.`,
      };
    },
  );

  for (const op of ["pause", "resume"] as const) {
    router.action(
      `/inbox/sources/:name/${op}`,
      op === "pause" ? "inbox.pause_source" : "inbox.resume_source",
      async (c, { session, form, tx }) => {
        const name = c.req.param("name") ?? "";
        if (op === "pause") {
          const reason = form.reason?.trim();
          if (!reason)
            throw new OpskitError(
              "BAD_REQUEST",
              "Say why the source is paused (it is shown to everyone).",
            );
          await createInboxAdmin(tx).pauseSource(name, { by: session.actor, reason });
        } else await createInboxAdmin(tx).resumeSource(name);
        return {
          target: `source ${name}`,
          result: op === "pause" ? "paused" : "resumed",
          flash:
            op === "pause"
              ? `Source ${name} paused: its events are still received and stored; processing waits.`
              : `Source ${name} resumed: its queued events are processed in arrival order.`,
        };
      },
    );
  }
}
