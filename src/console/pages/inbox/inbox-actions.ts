import { createInboxAdmin } from "../../../inbox/index.js";
import { OpskitError } from "../../../errors.js";
import type { InboxDeps } from "./index.js";
import { EVENT_ID } from "./inbox-event.js";

/** Replay one event (it is pending again), through an inbox handle bound to the action's `tx`. */
export function registerEventReplay(deps: InboxDeps): void {
  deps.router.action(
    `/inbox/events/:id${EVENT_ID}/replay`,
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
}

/** Pause a source (with a reason everyone sees) or resume it: its events wait, then run in order. */
export function registerSourceActions(deps: InboxDeps): void {
  for (const op of ["pause", "resume"] as const) {
    deps.router.action(
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
