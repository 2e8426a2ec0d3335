import {
  actionButton,
  badge,
  defineConsoleScreen,
  definePanel,
  html,
  table,
  time,
  type ConsoleContext,
  type Html,
  type ScreenDeps,
} from "../console/index.js";
import { createOutboxAdmin, type OutboxDelivery } from "./outbox-admin.js";

/** The outbox screen's actions. */
export type OutboxAction = "outbox.pause" | "outbox.resume" | "outbox.replay";
type OutboxDeps = ScreenDeps<OutboxAction>;

const RECENT = 50;
const ENDPOINT = "[a-z0-9][a-z0-9._-]{0,62}";
const UUID = "[0-9a-fA-F-]{36}";

/**
 * The console's outbox screen (`/ops/outbox`): lag, each endpoint with its
 * state, failures, latency and waiting deliveries (pause, resume), recent
 * deliveries (replay one), one event with its deliveries. Built from the
 * console kit and the outbox admin handle; every action is audited and
 * runs on the action's transaction.
 */
export const outboxScreen = defineConsoleScreen({
  path: "/outbox",
  title: "Outbox",
  nav: 47, // after alerts (45), before migrations (50)
  permissions: {
    "outbox.pause": ["operator", "admin"],
    "outbox.resume": ["operator", "admin"],
    "outbox.replay": ["operator", "admin"],
  },
  register: registerOutboxScreen,
});

function registerOutboxScreen(deps: OutboxDeps): void {
  const { router } = deps;
  const base = router.basePath;
  const outbox = createOutboxAdmin(deps.pool);
  const eventLink = (id: string): Html =>
    html`<a href="${base}/outbox/events/${id}"><code>${id.slice(0, 8)}</code></a>`;

  const lag = definePanel(deps, "outbox-lag", "Lag", async () => {
    const l = await outbox.lag();
    const stats = await outbox.stats();
    return html`<dl>
        <dt>relay (committed, not yet read)</dt>
        <dd data-lag="relay">${l.relaySeconds.toFixed(1)} s</dd>
        <dt>delivery (oldest waiting delivery)</dt>
        <dd data-lag="delivery">${l.deliverySeconds.toFixed(1)} s</dd>
        <dt>events relayed</dt>
        <dd>${String(l.relayedTotal)}</dd>
      </dl>
      ${table(
        ["consumer", "state", "deliveries"],
        stats.map(
          (s) =>
            html`<tr>
              <td>${s.consumer}</td>
              <td>${badge(s.state)}</td>
              <td>${String(s.count)}</td>
            </tr>`,
        ),
        "No delivery yet.",
      )}`;
  });

  const endpoints = definePanel(deps, "outbox-endpoints", "Endpoints", async (c) =>
    table(
      ["endpoint", "url", "types", "state", "failures", "latency", "waiting", "last success", ""],
      (await outbox.listEndpoints()).map(
        (e) =>
          html`<tr data-endpoint="${e.name}">
            <td>${e.name}${e.rotating ? html` ${badge("rotating")}` : ""}</td>
            <td><code>${e.url}</code></td>
            <td>${e.event_types?.join(", ") ?? "all"}</td>
            <td>
              ${badge(e.state, e.state === "active" ? "pass" : "fail")}<br /><small
                >${e.state_reason ?? ""}</small
              >
            </td>
            <td>
              ${String(e.consecutive_failures)} / ${String(e.max_failures)}<br /><small
                >${e.last_error ?? ""}</small
              >
            </td>
            <td>${e.last_latency_ms === null ? "—" : `${e.last_latency_ms} ms`}</td>
            <td>${String(e.pending)}</td>
            <td>${time(e.last_success_at)}</td>
            <td>
              ${
                e.state === "active"
                  ? actionButton(deps, c, {
                      action: "outbox.pause",
                      path: `/outbox/endpoints/${e.name}/pause`,
                      label: "Pause",
                    })
                  : actionButton(deps, c, {
                      action: "outbox.resume",
                      path: `/outbox/endpoints/${e.name}/resume`,
                      label: "Resume",
                    })
              }
            </td>
          </tr>`,
      ),
      "No endpoint (add one with the service's outbox option or `opskit outbox endpoints add`).",
    ),
  );

  const deliveries = (c: ConsoleContext, rows: OutboxDelivery[], empty: string) =>
    table(
      [
        "event",
        "type",
        "consumer",
        "state",
        "attempts",
        "status",
        "latency",
        "last error",
        "at",
        "",
      ],
      rows.map(
        (d) =>
          html`<tr data-delivery="${d.id}">
            <td>${eventLink(d.event_id)}</td>
            <td>${d.type ?? ""}</td>
            <td>${d.consumer}</td>
            <td>
              ${badge(d.state, d.state === "delivered" ? "pass" : d.state === "dead" ? "fail" : d.state)}
            </td>
            <td>${String(d.attempts)}</td>
            <td>${d.last_status === null ? "—" : String(d.last_status)}</td>
            <td>${d.latency_ms === null ? "—" : `${d.latency_ms} ms`}</td>
            <td>${d.last_error ?? "—"}</td>
            <td>${time(d.updated_at)}</td>
            <td>
              ${
                d.state === "pending"
                  ? ""
                  : actionButton(deps, c, {
                      action: "outbox.replay",
                      path: `/outbox/deliveries/${d.id}/replay`,
                      label: "Replay",
                    })
              }
            </td>
          </tr>`,
      ),
      empty,
    );

  const recent = definePanel(deps, "outbox-deliveries", "Recent deliveries", async (c) =>
    deliveries(c, await outbox.listDeliveries({ limit: RECENT }), "No delivery yet."),
  );

  router.page(
    "/outbox",
    "Outbox",
    async (c) => html`${await lag(c)} ${await endpoints(c)} ${await recent(c)}`,
  );

  router.page(`/outbox/events/:eventId{${UUID}}`, "Outbox event", async (c) => {
    const { event, deliveries: rows } = await outbox.showEvent(c.req.param("eventId")!);
    return html`<section class="panel">
        <h2>${event.type} <small>${event.aggregatetype} ${event.aggregateid}</small></h2>
        <dl>
          <dt>id</dt>
          <dd><code>${event.id}</code></dd>
          <dt>position</dt>
          <dd>${event.position}</dd>
          <dt>created</dt>
          <dd>${time(event.created_at)}</dd>
          <dt>payload</dt>
          <dd><pre>${JSON.stringify(event.payload, null, 2)}</pre></dd>
        </dl>
      </section>
      <section class="panel">
        <h2>Deliveries</h2>
        ${deliveries(c, rows, "No consumer takes this event.")}
      </section>`;
  });

  router.action(
    `/outbox/endpoints/:name{${ENDPOINT}}/pause`,
    "outbox.pause",
    async (c, { tx, session }) => {
      const name = c.req.param("name")!;
      await createOutboxAdmin(tx).pauseEndpoint(name, `paused by ${session.actor}`);
      return {
        target: `endpoint ${name}`,
        result: "paused",
        flash: `Endpoint ${name} paused: deliveries wait.`,
      };
    },
  );
  router.action(
    `/outbox/endpoints/:name{${ENDPOINT}}/resume`,
    "outbox.resume",
    async (c, { tx }) => {
      const name = c.req.param("name")!;
      const { lines } = await createOutboxAdmin(tx).resumeEndpoint(name);
      return {
        target: `endpoint ${name}`,
        result: "resumed",
        flash: `Endpoint ${name} resumed; ${lines} waiting line(s) enqueued.`,
      };
    },
  );
  router.action(
    "/outbox/deliveries/:id{[0-9]{1,18}}/replay",
    "outbox.replay",
    async (c, { tx }) => {
      const id = c.req.param("id")!;
      const { deliveries: n } = await createOutboxAdmin(tx).replay({ deliveryId: id });
      return {
        target: `delivery ${id}`,
        result: n ? "replayed" : "not_replayable",
        flash: n
          ? `Delivery ${id} will be sent again.`
          : `Delivery ${id} is pending or gone: nothing to replay.`,
      };
    },
  );
}
