import { migrationStatus } from "../../migrate/index.js";
import type { HealthDocument, ReadinessBody } from "../../health/index.js";
import { badge, html, panel, table } from "../html.js";
import { definePanel, type ScreenDeps } from "../screen-kit.js";
import { consoleMigrationSources } from "./migrations.js";

/** Overview: a picture an operator reads in five seconds. */
export function registerOverviewScreen(deps: ScreenDeps): void {
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

  router.page("/", "Overview", async (c) => {
    const status = await migrationStatus({ db: pool, sources: consoleMigrationSources(deps) });
    const pending = status.files.filter((f) => f.state === "pending" || f.state === "partial");
    const blocking = status.files.filter(
      (f) => f.state === "changed" || f.state === "out_of_order",
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
    return html`<div class="grid">${await health(c)}${migrations}</div>`;
  });
}
