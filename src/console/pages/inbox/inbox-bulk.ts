import { createInboxAdmin } from "../../../inbox/index.js";
import { OpskitError } from "../../../errors.js";
import { newRequestKey, runBulkAction } from "../../bulk-action.js";
import { badge, html, query } from "../../html.js";
import { hiddenFields, pickFields, timeWindow } from "../../job-filter-form.js";
import { formFields } from "../../layout.js";
import { queryOf } from "../../screen-kit.js";
import { EVENT_FILTER_FIELDS, parseEventFilter } from "./event-filter.js";
import type { InboxDeps } from "./index.js";

/** Replay every event matching the filter: a dry-run preview, then the action its form posts. */
export function registerInboxReplay(deps: InboxDeps): void {
  registerReplayPreview(deps);
  registerReplayAction(deps);
}

/** `/inbox/replay`: the inbox's own dry run of the filter, pinned to now, and the confirmation form. */
function registerReplayPreview(deps: InboxDeps): void {
  const base = deps.router.basePath;
  deps.router.page("/inbox/replay", "Inbox: replay all matching", async (c) => {
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
    const { count } = await deps.inbox.replayMany(filter, {
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
}

/** POST `/inbox/replay`: refused over the cap (counted again in the action's tx), once per form. */
function registerReplayAction(deps: InboxDeps): void {
  deps.router.action("/inbox/replay", "inbox.bulk_replay", async (_c, request) => {
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
}
