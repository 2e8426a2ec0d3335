import { badge, html, table, time } from "../../html.js";
import { formFields } from "../../layout.js";
import { allowed } from "../../screen-kit.js";
import type { InboxDeps } from "./index.js";

/** An event id in a route: digits only. */
export const EVENT_ID = "{[0-9]{1,18}}";
const BODY_SHOWN = 64 * 1024;

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

/**
 * `/inbox/events/:id`: the event's facts, masked headers, raw body, which
 * secret verified it, its replays, and the replay form.
 */
export function registerInboxEvent(deps: InboxDeps): void {
  const base = deps.router.basePath;
  deps.router.page(`/inbox/events/:id${EVENT_ID}`, "Inbox event", async (c) => {
    const id = c.req.param("id") ?? "";
    const e = await deps.inbox.findEvent(id);
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
}
