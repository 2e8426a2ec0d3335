import {
  actionButton,
  allowed,
  html,
  type ConsoleContext,
  type Html,
  type ScreenDeps,
} from "../console/index.js";

/** The alerts screen's two actions. */
export type AlertsAction = "alerts.silence" | "alerts.unsilence";
export type AlertsDeps = ScreenDeps<AlertsAction>;

/** The durations the silence forms offer (the action accepts any `<n>m|h|d` up to 30 days). */
export const SILENCE_DURATIONS = ["30m", "1h", "2h", "4h", "8h", "1d", "7d"] as const;

/** `2026-11-23 11:30:03Z`, or an em dash for none (the console's own format). */
export function when(value: Date | string | null | undefined): string {
  if (value === null || value === undefined) return "—";
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) return "—";
  return date
    .toISOString()
    .replace("T", " ")
    .replace(/\.\d{3}Z$/, "Z");
}

/** A status word in the console's badge style (`badge-firing`, `badge-silenced` …). */
export function mark(text: string, kind = text): Html {
  return html`<span class="badge badge-${kind.replace(/[^a-z_-]/gi, "")}">${text}</span>`;
}

/** Labels or matchers as `name=value` chips. */
export function labelList(labels: Record<string, string>): Html {
  const entries = Object.entries(labels);
  if (entries.length === 0) return html`<small>(none)</small>`;
  return html`${entries.map(([k, v]) => html`<code class="label">${k}=${v}</code> `)}`;
}

/** A number as the rule reported it, or an em dash. */
export function value(v: number | null): string {
  return v === null || v === undefined ? "—" : String(v);
}

/**
 * The silence form: the hidden fields say what to match (one alert's labels,
 * its rule, or a rule named in the form), the operator picks a duration and
 * must give a reason. Not drawn for a role that may not silence.
 */
export function silenceForm(
  deps: AlertsDeps,
  c: ConsoleContext,
  target: { alert: string } | { rule: true },
): Html {
  const session = c.get("session");
  if (!session || !allowed(deps, c, "alerts.silence")) return html``;
  const back = currentPath(c);
  return html`<form
    method="post"
    action="${deps.router.basePath}/alerts/silence"
    class="inline silence-form"
  >
    <input type="hidden" name="_csrf" value="${session.csrfToken}" />
    <input type="hidden" name="return_to" value="${back}" />
    ${
      "alert" in target
        ? html`<input type="hidden" name="alert" value="${target.alert}" />
            <select name="match" aria-label="match">
              <option value="labels">these labels</option>
              <option value="rule">every alert of the rule</option>
            </select>`
        : html`<input
            type="text"
            name="rule"
            placeholder="rule (alertname)"
            required
            aria-label="rule"
          />`
    }
    <select name="duration" aria-label="duration">
      ${SILENCE_DURATIONS.map((d) => html`<option value="${d}" ${d === "2h" ? "selected" : ""}>${d}</option>`)}
    </select>
    <input type="text" name="reason" placeholder="reason (required)" required aria-label="reason" />
    <button type="submit" data-action="alerts.silence">Silence</button>
  </form>`;
}

/** The unsilence button of one active silence. */
export function unsilenceButton(deps: AlertsDeps, c: ConsoleContext, id: string): Html {
  return actionButton(deps, c, {
    action: "alerts.unsilence",
    path: `/alerts/silences/${id}/unsilence`,
    label: "Unsilence",
  });
}

/** The page the operator is on (a refreshed panel's page from htmx's `HX-Current-URL`). */
function currentPath(c: ConsoleContext): string {
  const fromHtmx = c.req.header("hx-current-url");
  if (fromHtmx) {
    try {
      const url = new URL(fromHtmx);
      return url.pathname + url.search;
    } catch {
      // fall through to the request's own path
    }
  }
  const url = new URL(c.req.url);
  return url.pathname + url.search;
}
