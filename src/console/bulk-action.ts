import { randomUUID } from "node:crypto";
import { claimAuditKey, recordAudit, setAuditResult } from "../audit/index.js";
import type { Pool } from "../db/index.js";
import { isOpskitError, OpskitError } from "../errors.js";
import { time } from "./html.js";
import type { ActionOutcome, ActionRequest } from "./console-router.js";
import type { ConsoleAction } from "./permissions.js";

const KEY = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A fresh key for a bulk action's confirmation form (one per preview). */
export function newRequestKey(): string {
  return randomUUID();
}

/**
 * Runs a bulk action at most once per confirmation form: the form's
 * `request_key` is claimed in the audit log (unique) before anything is
 * done, so a resubmitted form (a double click, a browser retry, the back
 * button) finds the first submission's row and does nothing again. The
 * resubmission is audited too, pointing to the first.
 */
export async function runBulkAction(
  pool: Pool,
  request: ActionRequest,
  o: {
    action: ConsoleAction;
    target: string;
    params: Record<string, unknown>;
    run: () => Promise<{ result: string; flash: string; params?: Record<string, unknown> }>;
  },
): Promise<ActionOutcome> {
  const requestKey = request.form.request_key ?? "";
  if (!KEY.test(requestKey)) {
    throw new OpskitError("BAD_REQUEST", "Open the preview first: its form confirms the action.");
  }
  const entry = {
    actor: request.session.actor,
    action: o.action,
    target: o.target,
    params: o.params,
    requestId: request.requestId,
  };
  const claim = await claimAuditKey(pool, "opskit", { ...entry, result: "running", requestKey });
  if (!claim.claimed) {
    await recordAudit(pool, "opskit", {
      ...entry,
      result: `duplicate of audit #${claim.row.id}: nothing done`,
    });
    return {
      audited: true,
      result: "duplicate",
      flash: `Already submitted at ${time(claim.row.at)} by ${claim.row.actor} (${claim.row.result}); nothing was done again.`,
    };
  }
  try {
    const done = await o.run();
    await setAuditResult(pool, "opskit", claim.id, done.result, done.params);
    return { audited: true, result: done.result, flash: done.flash };
  } catch (error) {
    const code = isOpskitError(error) ? error.code : "INTERNAL";
    await setAuditResult(pool, "opskit", claim.id, `error: ${code}`);
    if (isOpskitError(error) && error.status < 500) {
      return {
        audited: true,
        result: `error: ${code}`,
        flash: `${o.action} failed: ${error.message}`,
      };
    }
    throw error;
  }
}
