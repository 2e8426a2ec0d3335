import {
  actionButton,
  allowed,
  currentPage,
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
  const back = currentPage(c);
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
