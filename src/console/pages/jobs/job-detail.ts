import { badge, html, table, time } from "../../html.js";
import type { JobsDeps } from "./index.js";
import { jobRowActions } from "./jobs-panels.js";

/** A job id in a route: digits only (a bigint), so `/jobs/bulk/…` is never read as a job. */
export const JOB_ID = "{[0-9]{1,19}}";

/** `/jobs/:id`: a job's facts, payload, checkpoint, attempts and errors, and its buttons. */
export function registerJobDetail(deps: JobsDeps): void {
  deps.router.page(`/jobs/:id${JOB_ID}`, "Job", async (c) => {
    const id = c.req.param("id") ?? "";
    const job = await deps.jobs.find(id);
    if (!job) return html`<p>No job ${id}: it never existed, or was pruned or deleted.</p>`;
    const errors = (Array.isArray(job.errors) ? job.errors : []) as {
      attempt?: number;
      at?: string;
      message?: string;
      worker?: string;
    }[];
    const row = { id, state: job.state };
    const fact = (label: string, value: unknown) =>
      html`<dt>${label}</dt>
        <dd>${factText(value)}</dd>`;
    return html`<p class="summary">
        ${badge(job.state)} <strong>${String(job.task)}</strong> on queue ${String(job.queue)}
      </p>
      <div class="actions">${jobRowActions(deps, c, row)}</div>
      <div class="grid">
        <section class="panel">
          <h2>Job ${id}</h2>
          <dl class="facts">
            ${fact("attempts", `${String(job.attempts)} of ${String(job.max_attempts)}`)}
            ${fact("priority", job.priority)} ${fact("run at", job.run_at)}
            ${fact("created", job.created_at)} ${fact("started", job.started_at)}
            ${fact("finished", job.finished_at)} ${fact("died", job.died_at)}
            ${fact("worker", job.locked_by)} ${fact("lease expires", job.lease_expires_at)}
            ${fact("cancel requested", job.cancel_requested_at)}
            ${fact("dedupe key", job.dedupe_key)} ${fact("FIFO key", job.fifo_key)}
            ${fact("progress", job.progress === null || job.progress === undefined ? undefined : `${Math.round(Number(job.progress) * 100)} %`)}
            ${fact("checkpoint at", job.checkpoint_at)}
          </dl>
        </section>
        <section class="panel">
          <h2>Payload</h2>
          <pre>${JSON.stringify(job.payload, null, 2)}</pre>
          <h2>Checkpoint</h2>
          <pre>
${job.checkpoint === null || job.checkpoint === undefined ? "—" : JSON.stringify(job.checkpoint, null, 2)}</pre>
          ${
            job.meta
              ? html`<h2>Meta</h2>
                  <pre>${JSON.stringify(job.meta, null, 2)}</pre>`
              : ""
          }
        </section>
      </div>
      <section class="panel">
        <h2>Attempts and errors</h2>
        ${table(
          ["attempt", "at", "worker", "error"],
          errors.map(
            (e) =>
              html`<tr>
                <td class="num">${e.attempt ?? ""}</td>
                <td>${time(e.at)}</td>
                <td>${e.worker ?? ""}</td>
                <td><code class="sql">${e.message ?? ""}</code></td>
              </tr>`,
          ),
          "No failed attempt.",
        )}
      </section>`;
  });
}

/** A job field as text: JSON dates become `time()`, objects JSON, nothing an em dash. */
function factText(value: unknown): string {
  if (value === null || value === undefined || value === "") return "—";
  if (typeof value === "string" && /^\d{4}-\d\d-\d\dT/.test(value)) return time(value);
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "string")
    return String(value);
  return JSON.stringify(value) ?? "—";
}
