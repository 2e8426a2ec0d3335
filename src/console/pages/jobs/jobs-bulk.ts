import { createJobsAdmin, type JobState } from "../../../jobs/index.js";
import { newRequestKey, runBulkAction } from "../../bulk-action.js";
import { badge, html, query } from "../../html.js";
import {
  hiddenFields,
  JOB_FILTER_FIELDS,
  parseJobFilter,
  pickFields,
} from "../../job-filter-form.js";
import { formFields } from "../../layout.js";
import { allowed, queryOf } from "../../screen-kit.js";
import type { JobsAction, JobsDeps } from "./index.js";

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
  { action: JobsAction; states: readonly JobState[]; verb: string }
>;
export type BulkOp = keyof typeof BULK_OPS;

/** Each bulk operation's preview page and its action (the preview's form posts it). */
export function registerJobsBulk(deps: JobsDeps): void {
  for (const op of Object.keys(BULK_OPS) as BulkOp[]) {
    registerBulkPreview(deps, op);
    registerBulkAction(deps, op);
  }
}

/** `/jobs/bulk/<op>`: how many jobs the filter matches (up to the cap), and the confirmation form. */
function registerBulkPreview(deps: JobsDeps, op: BulkOp): void {
  const spec = BULK_OPS[op];
  const base = deps.router.basePath;
  deps.router.page(`/jobs/bulk/${op}`, `Jobs: ${op} all matching`, async (c) => {
    const q = queryOf(c);
    const session = c.get("session")!;
    const filter = parseJobFilter(q);
    const fields = pickFields(q, JOB_FILTER_FIELDS);
    const ids = await deps.jobs.selectIds(filter, spec.states, deps.bulkCap);
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
}

/** POST `/jobs/bulk/<op>`: at most the cap's worth of matching jobs, oldest first, once per form. */
function registerBulkAction(deps: JobsDeps, op: BulkOp): void {
  const spec = BULK_OPS[op];
  deps.router.action(`/jobs/bulk/${op}`, spec.action, async (_c, request) => {
    const fields = pickFields(request.form, JOB_FILTER_FIELDS);
    const filter = parseJobFilter(request.form);
    const { tx } = request;
    return runBulkAction(request, {
      action: spec.action,
      target: `jobs matching ${JSON.stringify(fields)}`,
      params: { filter: fields, cap: deps.bulkCap },
      run: async () => {
        const ids = (await createJobsAdmin(tx).selectIds(filter, spec.states, deps.bulkCap)).slice(
          0,
          deps.bulkCap,
        );
        let done = 0;
        if (op === "delete") done = (await createJobsAdmin(tx).delete(ids.map((j) => j.id))).length;
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
