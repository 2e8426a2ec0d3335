import type { Logger } from "../log/index.js";
import { toError } from "../errors.js";

export interface ShutdownPhase {
  name: string;
  /** Receives the time left in the budget. */
  run: (remainingMs: number) => Promise<boolean | void>;
}

/**
 * Runs shutdown phases in order within one time budget, logging each with its
 * duration. A phase that throws or reports `false` (e.g. requests still in
 * flight when its share of the budget ran out) makes the result not ok, but
 * the later phases still run: the pool is closed and the logs are flushed
 * whatever happened before.
 */
export async function runShutdown(
  phases: ShutdownPhase[],
  budgetMs: number,
  log: Logger,
): Promise<boolean> {
  const shutdownLog = log.child({ category: "shutdown" });
  const started = performance.now();
  let ok = true;
  for (const phase of phases) {
    const phaseStarted = performance.now();
    const remaining = Math.max(0, budgetMs - (phaseStarted - started));
    let phaseOk: boolean;
    try {
      phaseOk = (await phase.run(remaining)) !== false;
    } catch (thrown) {
      phaseOk = false;
      shutdownLog.error({ err: toError(thrown), phase: phase.name }, "shutdown phase failed");
    }
    ok &&= phaseOk;
    const duration_ms = Math.round(performance.now() - phaseStarted);
    shutdownLog.info({ phase: phase.name, duration_ms, ok: phaseOk }, `shutdown: ${phase.name}`);
  }
  const total = Math.round(performance.now() - started);
  const overBudget = total > budgetMs;
  if (overBudget) ok = false;
  // One closing line whatever happened, so an operator (or a test) always
  // sees the sequence end; `ok` and `over_budget` say how.
  shutdownLog[ok ? "info" : "warn"](
    { duration_ms: total, budget_ms: budgetMs, ok, over_budget: overBudget },
    "shutdown complete",
  );
  return ok;
}
