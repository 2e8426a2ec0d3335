import { randomUUID } from "node:crypto";
import { claimAuditKey, recordAudit, setAuditResult } from "../audit/index.js";
import { OpskitError } from "../errors.js";
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
 *
 * The claim, the work and the claim's result are all written on the
 * action's transaction (`request.tx`), so they commit together or not at
 * all. A second submission of the same form while the first is still
 * running waits on the unique index until the first commits (then finds
 * its row: a duplicate) or rolls back (then claims the key and runs: the
 * first did nothing). A failure throws: the router rolls back and audits
 * it without the key, so the same form can be sent again.
 */
export async function runBulkAction(
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
  const { tx } = request;
  const entry = {
    actor: request.session.actor,
    action: o.action,
    target: o.target,
    params: o.params,
    requestId: request.requestId,
  };
  const claim = await claimAuditKey(tx, { ...entry, result: "running", requestKey });
  if (!claim.claimed) {
    await recordAudit(tx, {
      ...entry,
      result: `duplicate of audit #${claim.row.id}: nothing done`,
    });
    return {
      audited: true,
      result: "duplicate",
      flash: `Already submitted at ${time(claim.row.at)} by ${claim.row.actor} (${claim.row.result}); nothing was done again.`,
    };
  }
  const done = await o.run();
  await setAuditResult(tx, claim.id, done.result, done.params);
  return { audited: true, result: done.result, flash: done.flash };
}
