import { OpskitError } from "../errors.js";
import type { CheckResult, HealthCheck } from "./health-check.js";
import { safeErrorMessage, safeOutput, type Sanitize } from "./safe-message.js";

export interface RunCheckOptions {
  timeoutMs: number;
  sanitize: Sanitize;
  now: () => number;
}

export interface RunCheckReport {
  result: CheckResult;
  /**
   * Set when the check timed out and its own promise has not settled yet (it
   * ignores its abort signal); settles when the check finally does, so the
   * runner can avoid piling up copies of a hung check.
   */
  stillRunning?: Promise<void>;
}

const TIMED_OUT = Symbol("timed out");

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}

/**
 * Runs one check with its timeout and turns whatever happens into a result:
 * a value, a thrown error (→ fail with a safe message) or a timeout (→ fail,
 * "timed out after N ms", and the check's signal aborts). Never throws.
 *
 * @example
 * const { result } = await runCheck(check, { timeoutMs: 500, sanitize: maskUrlCredentials, now: Date.now });
 */
export async function runCheck(
  check: HealthCheck,
  options: RunCheckOptions,
): Promise<RunCheckReport> {
  const controller = new AbortController();
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<typeof TIMED_OUT>((resolve) => {
    // Left ref'd on purpose: it lives at most timeoutMs, and an unref'd one would let a
    // script awaiting refresh() exit silently while a hung check is pending.
    timer = setTimeout(() => resolve(TIMED_OUT), options.timeoutMs);
  });
  let settled = false;
  const running = Promise.resolve()
    .then(() => check.run(controller.signal))
    .finally(() => {
      settled = true;
    });

  try {
    const outcome = await Promise.race([running, timedOut]);
    const elapsed = round(performance.now() - started);
    if (outcome === TIMED_OUT) {
      controller.abort(
        new OpskitError(
          "HEALTH_CHECK_TIMEOUT",
          `Health check "${check.name}" timed out after ${options.timeoutMs} ms.`,
        ),
      );
      return {
        result: {
          status: "fail",
          observedValue: elapsed,
          observedUnit: "ms",
          output: `timed out after ${options.timeoutMs} ms`,
          time: options.now(),
        },
        ...(settled
          ? {}
          : {
              stillRunning: running.then(
                () => undefined,
                () => undefined,
              ),
            }),
      };
    }
    const status = outcome?.status ?? "pass";
    const measured = outcome?.observedValue === undefined;
    return {
      result: {
        status,
        observedValue: measured ? elapsed : outcome.observedValue,
        observedUnit: measured ? "ms" : outcome.observedUnit,
        ...(status !== "pass" && outcome?.output !== undefined
          ? { output: safeOutput(outcome.output, options.sanitize) }
          : {}),
        time: options.now(),
      },
    };
  } catch (thrown) {
    return {
      result: {
        status: "fail",
        observedValue: round(performance.now() - started),
        observedUnit: "ms",
        output: safeErrorMessage(thrown, options.sanitize),
        time: options.now(),
      },
    };
  } finally {
    clearTimeout(timer);
  }
}
