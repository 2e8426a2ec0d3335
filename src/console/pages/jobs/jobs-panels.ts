import type { JobListRow } from "../../../jobs/index.js";
import type { ConsoleContext } from "../../console-router.js";
import { age, badge, html, query, table, time, type Html } from "../../html.js";
import {
  JOB_FILTER_FIELDS,
  jobFilterForm,
  parseJobFilter,
  pickFields,
} from "../../job-filter-form.js";
import { queryId } from "../../request-input.js";
import { actionButton, allowed, definePanel, queryOf } from "../../screen-kit.js";
import type { JobsDeps } from "./index.js";
import { BULK_OPS, type BulkOp } from "./jobs-bulk.js";

const PAGE = 50;

/** The queues panel: depth by state, oldest ready, pause or resume. */
function queuesPanel(deps: JobsDeps) {
  const base = deps.router.basePath;
  return definePanel(deps, "queues", "Queues", async (c) => {
    const stats = await deps.jobs.stats();
    return table(
      ["queue", "scheduled", "ready", "running", "stuck", "dead", "oldest ready", "", ""],
      stats.map(
        (q) =>
          html`<tr>
            <td><a href="${base}/jobs${query({ queue: q.queue })}">${q.queue}</a></td>
            <td class="num">${q.scheduled}</td>
            <td class="num">${q.ready}</td>
            <td class="num">${q.running}</td>
            <td class="num ${q.stuck ? "warn" : ""}">${q.stuck}</td>
            <td class="num">
              <a href="${base}/jobs${query({ queue: q.queue, state: "dead" })}">${q.dead}</a>
            </td>
            <td class="num">${age(q.oldestReadyAgeSeconds)}</td>
            <td>${q.paused ? badge("paused") : badge("active")}</td>
            <td>
              ${
                q.paused
                  ? actionButton(deps, c, {
                      action: "queues.resume",
                      path: `/queues/${encodeURIComponent(q.queue)}/resume`,
                      label: "Resume",
                    })
                  : actionButton(deps, c, {
                      action: "queues.pause",
                      path: `/queues/${encodeURIComponent(q.queue)}/pause`,
                      label: "Pause",
                    })
              }
            </td>
          </tr>`,
      ),
      "No queue has jobs yet.",
    );
  });
}

/** The buttons a job's state allows: retry a dead one, cancel an unfinished one, delete one not running. */
export function jobRowActions(
  deps: JobsDeps,
  c: ConsoleContext,
  j: Pick<JobListRow, "id" | "state">,
): Html {
  return html`${
    j.state === "dead"
      ? actionButton(deps, c, {
          action: "jobs.retry",
          path: `/jobs/${j.id}/retry`,
          label: "Retry",
        })
      : ""
  }${
    j.state === "scheduled" || j.state === "ready" || j.state === "running"
      ? actionButton(deps, c, {
          action: "jobs.cancel",
          path: `/jobs/${j.id}/cancel`,
          label: "Cancel",
        })
      : ""
  }${
    j.state !== "running"
      ? actionButton(deps, c, {
          action: "jobs.delete",
          path: `/jobs/${j.id}/delete`,
          label: "Delete",
          danger: true,
        })
      : ""
  }`;
}

/** The jobs panel: the filtered jobs, newest first, a page at a time, with the bulk links. */
function jobListPanel(deps: JobsDeps) {
  const base = deps.router.basePath;
  return definePanel(deps, "jobs", "Jobs", async (c) => {
    const q = queryOf(c);
    const filter = parseJobFilter(q);
    const before = queryId(q.before, "before");
    const rows = await deps.jobs.list(filter, { limit: PAGE, beforeId: before });
    const fields = pickFields(q, JOB_FILTER_FIELDS);
    const last = rows.at(-1);
    const bulk = (Object.keys(BULK_OPS) as BulkOp[])
      .filter((op) => allowed(deps, c, BULK_OPS[op].action))
      .map(
        (op) =>
          html`<a href="${base}/jobs/bulk/${op}${query(fields)}" data-bulk="${op}"
            >${op} all matching…</a
          > `,
      );
    return html`${bulk.length ? html`<p class="hint">Bulk: ${bulk}</p>` : ""}
    ${table(
      ["id", "task", "queue", "state", "attempts", "at", "last error", ""],
      rows.map(
        (j) =>
          html`<tr data-job="${j.id}">
            <td class="num"><a href="${base}/jobs/${j.id}">${j.id}</a></td>
            <td>${j.task}</td>
            <td>${j.queue}</td>
            <td>${badge(j.state)}</td>
            <td class="num">${j.attempts}/${j.max_attempts}</td>
            <td>${time(j.at)}</td>
            <td>${j.last_error ?? ""}</td>
            <td>${jobRowActions(deps, c, j)}</td>
          </tr>`,
      ),
      "No job matches.",
    )}
    ${
      rows.length === PAGE && last
        ? html`<p><a href="${base}/jobs${query({ ...fields, before: last.id })}">Older →</a></p>`
        : ""
    }`;
  });
}

/** `/jobs`: the queues, the state tabs, the filter and the jobs. */
export function registerJobsPage(deps: JobsDeps): void {
  const base = deps.router.basePath;
  const queues = queuesPanel(deps);
  const list = jobListPanel(deps);
  deps.router.page("/jobs", "Jobs", async (c) => {
    const q = queryOf(c);
    const fields = pickFields(q, JOB_FILTER_FIELDS);
    const tab = (state: string, label: string) =>
      html`<a
        href="${base}/jobs${query({ ...fields, state, before: undefined })}"
        class="${(q.state ?? "") === state ? "active" : ""}"
        >${label}</a
      >`;
    return html`${await queues(c)}
      <nav class="tabs">
        ${tab("", "all")}${tab("ready", "ready")}${tab("scheduled", "scheduled")}${tab("running", "running")}${tab("dead", "dead")}${tab("completed", "completed")}${tab("cancelled", "cancelled")}
      </nav>
      ${jobFilterForm(`${base}/jobs`, q)} ${await list(c)}`;
  });
}
