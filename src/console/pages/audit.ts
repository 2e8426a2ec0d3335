import { listAuditEntries } from "../../audit/index.js";
import { html, query, table, time } from "../html.js";
import { queryId } from "../request-input.js";
import { defineConsoleScreen } from "../console-screen.js";
import type { ScreenDeps } from "../screen-kit.js";

const PAGE = 100;

/** Audit log: every mutating action with actor, target, parameters, result. */
export const auditScreen = defineConsoleScreen({
  path: "/audit",
  title: "Audit log",
  nav: 70,
  permissions: {},
  register: registerAuditScreen,
});

function registerAuditScreen(deps: ScreenDeps<never>): void {
  const { router, pool } = deps;
  const base = router.basePath;
  router.page("/audit", "Audit log", async (c) => {
    const actor = c.req.query("actor") || undefined;
    const action = c.req.query("action") || undefined;
    const before = queryId(c.req.query("before"), "before");
    const rows = await listAuditEntries(pool, {
      actor,
      action,
      beforeId: before,
      limit: PAGE,
    });
    const last = rows.at(-1);
    return html`<form method="get" action="${base}/audit" class="filters">
        <label>Actor <input name="actor" value="${actor ?? ""}" /></label>
        <label
          >Action <input name="action" value="${action ?? ""}" placeholder="jobs. or jobs.retry"
        /></label>
        <button type="submit">Filter</button>
      </form>
      ${table(
        ["at", "actor", "action", "target", "parameters", "result"],
        rows.map(
          (a) =>
            html`<tr>
              <td>${time(a.at)}</td>
              <td>${a.actor}</td>
              <td>${a.action}</td>
              <td>${a.target ?? "—"}</td>
              <td><code class="params">${JSON.stringify(a.params)}</code></td>
              <td>${a.result}</td>
            </tr>`,
        ),
        "No audit entries match.",
      )}
      ${
        rows.length === PAGE && last
          ? html`<p>
              <a href="${base}/audit${query({ actor, action, before: last.id })}">Older →</a>
            </p>`
          : ""
      }`;
  });
}
