import {
  badge,
  defineConsoleScreen,
  definePanel,
  html,
  table,
  time,
  type Html,
} from "../console/index.js";
import { createAlertsAdmin } from "./alerts-admin.js";
import { registerAlertsActions } from "./alerts-screen-actions.js";
import {
  labelList,
  silenceForm,
  unsilenceButton,
  value,
  type AlertsDeps,
} from "./alerts-screen-html.js";
import type { NotificationRow } from "./sql/alert-groups.js";

/** How many resolved alerts and notifications the history panels show. */
const HISTORY = 50;

/**
 * The console's alerts screen (`/ops/alerts`): firing and pending alerts
 * (silenced ones marked), active silences, resolved alerts and each
 * notification's delivery, one alert's detail; silence and unsilence,
 * audited like every console action. Built from the public console kit and
 * the alerts admin handle only; contributed by `alertsScreenPart`.
 */
export const alertsScreen = defineConsoleScreen({
  path: "/alerts",
  title: "Alerts",
  nav: 45, // between the inbox (40) and migrations (50)
  permissions: {
    "alerts.silence": ["operator", "admin"],
    "alerts.unsilence": ["operator", "admin"],
  },
  register: registerAlertsScreen,
});

function registerAlertsScreen(deps: AlertsDeps): void {
  const { router } = deps;
  const base = router.basePath;
  const alerts = createAlertsAdmin(deps.pool);
  const link = (id: string, text: string): Html => html`<a href="${base}/alerts/${id}">${text}</a>`;

  const open = definePanel(deps, "alerts-open", "Firing and pending", async (c) => {
    const rows = await alerts.listOpen();
    return table(
      ["alert", "state", "labels", "value", "since", "silence"],
      rows.map(
        (a) =>
          html`<tr data-alert="${a.id}">
            <td>${link(a.id, a.rule)}<br /><small>${a.annotations.summary ?? ""}</small></td>
            <td>
              ${badge(a.state)}
              ${
                a.silenced_by.length
                  ? html`${badge("silenced")} <small>by silence ${a.silenced_by.join(", ")}</small>`
                  : ""
              }
            </td>
            <td>${labelList(a.labels)}</td>
            <td>${value(a.value)}</td>
            <td>${time(a.state === "firing" ? (a.fired_at ?? a.active_at) : a.active_at)}</td>
            <td>${silenceForm(deps, c, { alert: a.id })}</td>
          </tr>`,
      ),
      "No alert is firing or pending.",
    );
  });

  const silences = definePanel(deps, "alerts-silences", "Active silences", async (c) => {
    const now = Date.now();
    const rows = (await alerts.silences(500)).filter(
      (s) =>
        s.expired_at === null &&
        new Date(s.starts_at).getTime() <= now &&
        new Date(s.ends_at).getTime() > now,
    );
    return html`${table(
      ["silence", "matchers", "by", "reason", "until", ""],
      rows.map(
        (s) =>
          html`<tr data-silence="${s.id}">
            <td>${s.id}</td>
            <td>${labelList(s.matchers)}</td>
            <td>${s.created_by}</td>
            <td class="reason">${s.comment}</td>
            <td>${time(s.ends_at)}</td>
            <td>${unsilenceButton(deps, c, s.id)}</td>
          </tr>`,
      ),
      "No silence is active.",
    )}
    ${silenceForm(deps, c, { rule: true })}`;
  });

  const resolved = definePanel(deps, "alerts-resolved", "Recently resolved", async () => {
    const rows = await alerts.list({ state: "resolved", limit: HISTORY });
    return table(
      ["alert", "labels", "since", "resolved"],
      rows.map(
        (a) =>
          html`<tr>
            <td>${link(a.id, a.rule)}</td>
            <td>${labelList(a.labels)}</td>
            <td>${time(a.active_at)}</td>
            <td>${time(a.resolved_at)}</td>
          </tr>`,
      ),
      "No alert has resolved yet (resolved alerts are kept 30 days by default).",
    );
  });

  const notifications = definePanel(deps, "alerts-notifications", "Notifications", async () =>
    notificationTable(await alerts.notifications({ limit: HISTORY }), link),
  );

  router.page(
    "/alerts",
    "Alerts",
    async (c) =>
      html`${await open(c)} ${await silences(c)} ${await resolved(c)} ${await notifications(c)}`,
  );

  router.page("/alerts/:id{[0-9]{1,19}}", "Alert", async (c) => {
    const alert = await alerts.show(c.req.param("id")!);
    if (!alert) return html`<p class="empty">No such alert (resolved alerts are pruned).</p>`;
    return html`<section class="panel">
        <h2>${alert.rule} ${badge(alert.state)}</h2>
        <dl>
          <dt>labels</dt>
          <dd>${labelList(alert.labels)}</dd>
          <dt>annotations</dt>
          <dd>${labelList(alert.annotations)}</dd>
          <dt>value</dt>
          <dd>${value(alert.value)}</dd>
          <dt>active since</dt>
          <dd>${time(alert.active_at)}</dd>
          <dt>fired</dt>
          <dd>${time(alert.fired_at)}</dd>
          <dt>resolved</dt>
          <dd>${time(alert.resolved_at)}</dd>
        </dl>
        ${alert.state === "resolved" ? "" : silenceForm(deps, c, { alert: alert.id })}
      </section>
      <section class="panel">
        <h2>Notifications</h2>
        ${notificationTable(alert.notifications, link)}
      </section>`;
  });

  registerAlertsActions(deps);
}

function notificationTable(
  rows: NotificationRow[],
  link: (id: string, text: string) => Html,
): Html {
  return table(
    ["sent", "receiver", "status", "alerts", "delivery", "attempts", "last error"],
    rows.map(
      (n) =>
        html`<tr data-notification="${n.id}">
          <td>${time(n.sent_at ?? n.created_at)}</td>
          <td>${n.receiver}</td>
          <td>${badge(n.status)}</td>
          <td>${n.alert_ids.map((id) => html`${link(id, id)} `)}</td>
          <td>${badge(n.delivery, n.delivery === "sent" ? "pass" : n.delivery)}</td>
          <td>${n.attempts}</td>
          <td>${n.last_error ?? "—"}</td>
        </tr>`,
    ),
    "No notification yet (none is made while no notifier is configured).",
  );
}
