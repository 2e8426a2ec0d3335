import type { CheckSlot } from "./check-runner.js";
import type { CheckResult, HealthStatus } from "./health-check.js";
import type { HealthState } from "./health-state.js";

/** Why `/readyz` fails. */
export type NotReadyReason = "starting" | "shutting_down" | "checks_pending" | "check_failed";

/** One check as the probes report it: its cached result, judged against the clock. */
export interface CheckView {
  key: string;
  slot: CheckSlot;
  /** The cached result; a stale or missing one is reported as fail with an explanation. */
  status: HealthStatus;
  output?: string;
  result: CheckResult | undefined;
  ageMs: number | undefined;
}

/** Everything the three endpoints need, computed from the cache in one pass (no I/O). */
export interface HealthSnapshot {
  state: HealthState;
  ready: boolean;
  reason: NotReadyReason | undefined;
  /** Overall status for `/health`: critical failure or not ready → fail; anything else off → warn. */
  status: HealthStatus;
  /** Age of the oldest cached result; undefined when nothing is cached yet. */
  cacheAgeMs: number | undefined;
  checks: CheckView[];
  now: number;
}

function view(slot: CheckSlot, now: number, staleAfterMs: number): CheckView {
  const result = slot.result;
  if (!result) {
    return {
      key: slot.key,
      slot,
      status: "fail",
      output: "not checked yet",
      result,
      ageMs: undefined,
    };
  }
  const ageMs = Math.max(0, now - result.time);
  if (ageMs > staleAfterMs) {
    return {
      key: slot.key,
      slot,
      status: "fail",
      output: `stale: last checked ${Math.round(ageMs)} ms ago (is the health runner started?)`,
      result,
      ageMs,
    };
  }
  return {
    key: slot.key,
    slot,
    status: result.status,
    ...(result.output === undefined ? {} : { output: result.output }),
    result,
    ageMs,
  };
}

/**
 * Judges the lifecycle state and the cached check results at `now`.
 *
 * @example
 * const snap = evaluateHealth({ state: "ready", slots: runner.slots(), now: Date.now(), staleAfterMs: 3500 });
 * snap.ready; // true when every critical check passes or warns
 */
export function evaluateHealth(input: {
  state: HealthState;
  slots: readonly CheckSlot[];
  now: number;
  staleAfterMs: number;
}): HealthSnapshot {
  const checks = input.slots.map((slot) => view(slot, input.now, input.staleAfterMs));
  const critical = checks.filter((c) => c.slot.critical && c.status === "fail");
  let reason: NotReadyReason | undefined;
  if (input.state === "shutting_down") reason = "shutting_down";
  else if (input.state === "starting") reason = "starting";
  else if (critical.some((c) => c.result === undefined)) reason = "checks_pending";
  else if (critical.length > 0) reason = "check_failed";

  let status: HealthStatus = "pass";
  if (reason !== undefined) status = "fail";
  else if (checks.some((c) => c.status !== "pass")) status = "warn";

  const ages = checks.flatMap((c) => (c.ageMs === undefined ? [] : [c.ageMs]));
  return {
    state: input.state,
    ready: reason === undefined,
    reason,
    status,
    cacheAgeMs: ages.length > 0 ? Math.max(...ages) : undefined,
    checks,
    now: input.now,
  };
}
