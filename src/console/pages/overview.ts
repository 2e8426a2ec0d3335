import { migrationStatus } from "../../migrate/index.js";
import type { HealthDocument, ReadinessBody } from "../../health/index.js";
import { age, badge, html, panel, query, table, time } from "../html.js";
import { defineConsoleScreen } from "../console-screen.js";
import { definePanel, type ScreenDeps } from "../screen-kit.js";
import { consoleMigrationSources } from "./migrations.js";

/** Overview: a picture an operator reads in five seconds. */
export const overviewScreen = defineConsoleScreen({
  path: "/",
  title: "Overview",
  nav: 10,
  permissions: {},
  register: registerOverviewScreen,
});

// ScreenDeps<never>: the overview has no action of its own.
function registerOverviewScreen(deps: ScreenDeps<never>): void {
  const { router, pool } = deps;
  const base = router.basePath;

  // The service's own /health and /readyz documents, read in process: the
  // same view a probe gets (no query: the checks are cached by the health runner).
  const health = definePanel(deps, "health", "Health", async () => {
    if (!deps.health) return html`<p class="hint">No health checks in this process.</p>`;
    const doc = (await (await deps.health.app.request("/health")).json()) as HealthDocument;
    const ready = (await (await deps.health.app.request("/readyz")).json()) as ReadinessBody;
    const rows = Object.entries(doc.checks).flatMap(([key, entries]) =>
      entries.map(
        (e) =>
          html`<tr>
            <td>${key}</td>
            <td>${badge(e.status)}</td>
            <td class="num">${e.observedValue ?? "—"} ${e.observedUnit ?? ""}</td>
            <td>${e.output ?? ""}</td>
          </tr>`,
      ),
    );
    return html`<p class="summary">
        ${badge(`health ${doc.status}`, doc.status)}
        ${badge(ready.status === "pass" ? "ready" : `not ready (${ready.reason ?? ready.state})`, ready.status)}
        ${doc.version ? html`<span>version ${doc.version}</span>` : ""}
      </p>
      ${table(["check", "status", "observed", "output"], rows)}`;
  });

  const { jobs } = deps;

  const queues = definePanel(deps, "overview-jobs", "Job queues", async () => {
    const stats = await jobs.stats();
    const total = (k: "ready" | "scheduled" | "running" | "stuck" | "dead") =>
      stats.reduce((n, q) => n + q[k], 0);
    const oldest = Math.max(0, ...stats.map((q) => q.oldestReadyAgeSeconds));
    return html`<p class="summary">
        ${badge(`${total("ready")} ready`, total("ready") ? "warn" : "pass")}
        ${badge(`oldest ready ${age(oldest)}`, oldest > 60 ? "warn" : "pass")}
        ${badge(`${total("running")} running`, "info")}
        ${badge(`${total("stuck")} stuck`, total("stuck") ? "fail" : "pass")}
        <a href="${base}/jobs${query({ state: "dead" })}"
          >${badge(`${total("dead")} dead`, total("dead") ? "fail" : "pass")}</a
        >
      </p>
      ${table(
        ["queue", "ready", "oldest ready", "running", "dead", ""],
        stats.map(
          (q) =>
            html`<tr>
              <td><a href="${base}/jobs${query({ queue: q.queue })}">${q.queue}</a></td>
              <td class="num">${q.ready}</td>
              <td class="num">${age(q.oldestReadyAgeSeconds)}</td>
              <td class="num">${q.running}</td>
              <td class="num">${q.dead}</td>
              <td>${q.paused ? badge("paused") : ""}</td>
            </tr>`,
        ),
        "No queue has jobs yet.",
      )}`;
  });

  const schedules = definePanel(deps, "overview-schedules", "Late schedules", async () => {
    const rows = await jobs.schedules();
    const late = rows.filter((s) => s.late);
    if (rows.length === 0) return html`<p class="hint">No cron schedule is registered.</p>`;
    if (late.length === 0) return html`<p>${badge(`all ${rows.length} on time`, "pass")}</p>`;
    return table(
      ["schedule", "slot not succeeded", "last success"],
      late.map(
        (s) =>
          html`<tr>
            <td>${badge("late")} ${s.name}</td>
            <td>${time(s.dueSlot)}</td>
            <td>${time(s.lastSuccessAt)}</td>
          </tr>`,
      ),
    );
  });

  const inbox = definePanel(deps, "overview-inbox", "Webhook inbox", async () => {
    const o = await deps.inbox.overview();
    const attempts = o.received_last_hour + o.rejected_last_hour;
    const rate = attempts ? o.rejected_last_hour / attempts : 0;
    return html`<p class="summary">
        ${badge(`${o.backlog} waiting`, o.backlog ? "warn" : "pass")}
        ${badge(`oldest ${age(o.oldest_backlog_seconds)}`, (o.oldest_backlog_seconds ?? 0) > 60 ? "warn" : "pass")}
        <a href="${base}/inbox${query({ status: "dead" })}">dead events</a>
      </p>
      <p>
        Last hour: ${o.received_last_hour} received, ${o.rejected_last_hour} rejected
        (${badge(`${(rate * 100).toFixed(1)} % rejected`, rate > 0.05 ? "fail" : rate > 0 ? "warn" : "pass")})
      </p>`;
  });

  router.json("/charts/throughput", () => jobs.throughput());
  router.json("/charts/backlog", () => jobs.backlogSamples());
  const chart = (id: string, title: string, src: string) =>
    panel({ id, title, body: html`<div class="chart" data-chart="${base}${src}"></div>` });

  router.page("/", "Overview", async (c) => {
    const status = await migrationStatus({ db: pool, sources: consoleMigrationSources(deps) });
    const pending = status.files.filter((f) => f.state === "pending" || f.state === "partial");
    const blocking = status.files.filter(
      (f) => f.state === "changed" || f.state === "out_of_order" || f.state === "failed",
    );
    const migrations = panel({
      id: "migrations",
      title: "Migrations",
      body: html`<p>
        ${badge(`${pending.length} pending`, pending.length ? "warn" : "pass")}
        ${blocking.length ? badge(`${blocking.length} changed or out of order`, "fail") : ""}
        <a href="${base}/migrations">details</a>
      </p>`,
    });
    return html`<div class="grid">${await health(c)}${await queues(c)}${await inbox(c)}</div>
      <div class="grid">
        ${chart("chart-throughput", "Jobs completed and failed per second (last hour)", "/charts/throughput")}
        ${chart("chart-backlog", "Backlog (last hour)", "/charts/backlog")}
      </div>
      <div class="grid">${await schedules(c)}${migrations}</div>`;
  });
}
