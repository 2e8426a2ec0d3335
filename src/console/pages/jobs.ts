import { createJobsAdmin, type JobListRow, type JobState } from "../../jobs/index.js";
import { runBulkAction, newRequestKey } from "../bulk-action.js";
import type { ConsoleContext } from "../console-router.js";
import { age, badge, html, query, table, time, type Html } from "../html.js";
import {
  hiddenFields,
  JOB_FILTER_FIELDS,
  jobFilterForm,
  parseJobFilter,
  pickFields,
} from "../job-filter-form.js";
import { formFields } from "../layout.js";
import { queryId } from "../request-input.js";
import type { ConsoleAction } from "../permissions.js";
import { actionButton, allowed, definePanel, type ScreenDeps } from "../screen-kit.js";

const PAGE = 50;
const ID = "{[0-9]{1,19}}";

/** What each bulk operation applies to, and its action. */
export const BULK_OPS = {
  retry: { action: "jobs.bulk_retry", states: ["dead"], verb: "retried" },
  cancel: {
    action: "jobs.bulk_cancel",
    states: ["scheduled", "ready", "running"],
    verb: "cancelled",
  },
  delete: {
    action: "jobs.bulk_delete",
    states: ["scheduled", "ready", "dead", "completed", "cancelled"],
    verb: "deleted",
  },
} as const satisfies Record<
  string,
  { action: ConsoleAction; states: readonly JobState[]; verb: string }
>;
type BulkOp = keyof typeof BULK_OPS;

/** Jobs: queues by state with pause/resume; filtered jobs; detail; retry, cancel, delete, one or by filter. */
export function registerJobsScreen(deps: ScreenDeps): void {
  const { router } = deps;
  const base = router.basePath;
  const { jobs } = deps;
  const queryOf = (c: ConsoleContext) => c.req.query() as Record<string, string | undefined>;

  const queues = definePanel(deps, "queues", "Queues", async (c) => {
    const stats = await jobs.stats();
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

  const rowActions = (c: ConsoleContext, j: JobListRow): Html =>
    html`${
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

  const list = definePanel(deps, "jobs", "Jobs", async (c) => {
    const q = queryOf(c);
    const filter = parseJobFilter(q);
    const before = queryId(q.before, "before");
    const rows = await jobs.list(filter, { limit: PAGE, beforeId: before });
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
            <td>${rowActions(c, j)}</td>
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

  router.page("/jobs", "Jobs", async (c) => {
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

  router.page(`/jobs/:id${ID}`, "Job", async (c) => {
    const id = c.req.param("id") ?? "";
    const job = await jobs.find(id);
    if (!job) return html`<p>No job ${id}: it never existed, or was pruned or deleted.</p>`;
    const errors = (Array.isArray(job.errors) ? job.errors : []) as {
      attempt?: number;
      at?: string;
      message?: string;
      worker?: string;
    }[];
    const row = { id, state: job.state } as JobListRow;
    const fact = (label: string, value: unknown) =>
      html`<dt>${label}</dt>
        <dd>${factText(value)}</dd>`;
    return html`<p class="summary">
        ${badge(job.state)} <strong>${String(job.task)}</strong> on queue ${String(job.queue)}
      </p>
      <div class="actions">${rowActions(c, row)}</div>
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

  // Bulk routes first: "/jobs/bulk/retry" must not be read as job "bulk".
  for (const op of Object.keys(BULK_OPS) as BulkOp[]) registerBulk(op);

  router.action(`/jobs/:id${ID}/retry`, "jobs.retry", async (c, { tx }) => {
    const id = c.req.param("id")!;
    const retried = await createJobsAdmin(tx).retryDead(id);
    return {
      target: `job ${id}`,
      result: retried ? "retried" : "not_dead",
      flash: retried
        ? `Job ${id} is ready to run again.`
        : `Job ${id} is not dead: nothing to retry.`,
    };
  });
  router.action(`/jobs/:id${ID}/cancel`, "jobs.cancel", async (c, { tx }) => {
    const id = c.req.param("id")!;
    const result = await createJobsAdmin(tx).cancel(id);
    const flash = {
      cancelled: `Job ${id} cancelled.`,
      cancelling: `Job ${id} is running: its worker was told to stop it.`,
      not_found: `No unfinished job ${id}.`,
    }[result];
    return { target: `job ${id}`, result, flash };
  });
  router.action(`/jobs/:id${ID}/delete`, "jobs.delete", async (c, { tx }) => {
    const id = c.req.param("id")!;
    const deleted = await createJobsAdmin(tx).delete([id]);
    return {
      target: `job ${id}`,
      result: deleted.length ? "deleted" : "not_deleted",
      flash: deleted.length
        ? `Job ${id} deleted.`
        : `Job ${id} was not deleted (running, or gone).`,
      redirect: `${base}/jobs`,
    };
  });
  for (const op of ["pause", "resume"] as const) {
    router.action(
      `/queues/:queue/${op}`,
      op === "pause" ? "queues.pause" : "queues.resume",
      async (c, { tx }) => {
        const queue = c.req.param("queue")!;
        await (op === "pause"
          ? createJobsAdmin(tx).pause(queue)
          : createJobsAdmin(tx).resume(queue));
        return {
          target: `queue ${queue}`,
          result: op === "pause" ? "paused" : "resumed",
          flash:
            op === "pause"
              ? `Queue ${queue} paused: workers stop claiming from it (running jobs finish).`
              : `Queue ${queue} resumed.`,
        };
      },
    );
  }

  function registerBulk(op: BulkOp): void {
    const spec = BULK_OPS[op];
    router.page(`/jobs/bulk/${op}`, `Jobs: ${op} all matching`, async (c) => {
      const q = queryOf(c);
      const session = c.get("session")!;
      const filter = parseJobFilter(q);
      const fields = pickFields(q, JOB_FILTER_FIELDS);
      const ids = await jobs.selectIds(filter, spec.states, deps.bulkCap);
      const over = ids.length > deps.bulkCap;
      const count = Math.min(ids.length, deps.bulkCap);
      return html`<p>
          Filter: <code>${JSON.stringify(fields)}</code>; applies to jobs that are
          ${spec.states.join(", ")}.
        </p>
        <p class="summary" data-preview-count="${count}">
          ${badge(`${count}${over ? "+" : ""} job(s) match`, count ? "warn" : "pass")}
          ${over ? html`<span class="warn">More than the cap of ${deps.bulkCap} match: this run acts on the oldest ${deps.bulkCap}; run it again for the rest.</span>` : ""}
        </p>
        ${
          count === 0
            ? html`<p><a href="${base}/jobs${query(fields)}">Back</a></p>`
            : allowed(deps, c, spec.action)
              ? html`<form method="post" action="${base}/jobs/bulk/${op}">
                  ${formFields(session, `${base}/jobs${query(fields)}`)} ${hiddenFields(fields)}
                  <input type="hidden" name="request_key" value="${newRequestKey()}" />
                  <button type="submit" class="${op === "delete" ? "danger" : ""}">
                    ${op} ${count} job(s)
                  </button>
                  <a href="${base}/jobs${query(fields)}">Cancel</a>
                </form>`
              : html`<p class="hint">Your role may not ${op} jobs.</p>`
        }`;
    });
    router.action(`/jobs/bulk/${op}`, spec.action, async (_c, request) => {
      const fields = pickFields(request.form, JOB_FILTER_FIELDS);
      const filter = parseJobFilter(request.form);
      const { tx } = request;
      return runBulkAction(request, {
        action: spec.action,
        target: `jobs matching ${JSON.stringify(fields)}`,
        params: { filter: fields, cap: deps.bulkCap },
        run: async () => {
          const ids = (
            await createJobsAdmin(tx).selectIds(filter, spec.states, deps.bulkCap)
          ).slice(0, deps.bulkCap);
          let done = 0;
          if (op === "delete")
            done = (await createJobsAdmin(tx).delete(ids.map((j) => j.id))).length;
          else
            for (const j of ids) {
              const ok =
                op === "retry"
                  ? await createJobsAdmin(tx).retryDead(j.id)
                  : (await createJobsAdmin(tx).cancel(j.id)) !== "not_found";
              if (ok) done++;
            }
          return {
            result: `${done} ${spec.verb}`,
            flash: `${done} job(s) ${spec.verb}${ids.length === deps.bulkCap ? ` (the cap of ${deps.bulkCap}: run it again for more)` : ""}.`,
            params: { matched: ids.length, done },
          };
        },
      });
    });
  }
}

/** A job field as text: JSON dates become `time()`, objects JSON, nothing an em dash. */
function factText(value: unknown): string {
  if (value === null || value === undefined || value === "") return "—";
  if (typeof value === "string" && /^\d{4}-\d\d-\d\dT/.test(value)) return time(value);
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "string")
    return String(value);
  return JSON.stringify(value) ?? "—";
}
