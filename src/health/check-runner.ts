import { OpskitError } from "../errors.js";
import { checkKey, type CheckResult, type HealthCheck } from "./health-check.js";
import { runCheck } from "./run-check.js";
import type { Sanitize } from "./safe-message.js";

export interface CheckRunnerOptions {
  intervalMs: number;
  /** Used for checks that do not set their own `timeoutMs`. */
  timeoutMs: number;
  sanitize: Sanitize;
  now: () => number;
  /** Called after every round, with the results in place. */
  onRound?: () => void;
}

/** A registered check and what the runner knows about it. */
export interface CheckSlot {
  readonly key: string;
  readonly check: HealthCheck;
  readonly timeoutMs: number;
  readonly critical: boolean;
  result: CheckResult | undefined;
  /** The run in progress, shared by rounds that overlap (a refresh() during a scheduled round). */
  pending: Promise<void> | undefined;
  /** True while a timed-out run has not settled: the check is not started again until it does. */
  hung: boolean;
}

export interface CheckRunner {
  add(check: HealthCheck): void;
  slots(): readonly CheckSlot[];
  /** Runs every check once now; resolves when all have a result (each bounded by its timeout). */
  refresh(): Promise<void>;
  /** Runs a round now and then every `intervalMs`; resolves after the first round. */
  start(): Promise<void>;
  close(): void;
}

function validTimeout(ms: number | undefined, what: string): void {
  if (ms !== undefined && !(Number.isFinite(ms) && ms > 0)) {
    throw new OpskitError(
      "HEALTH_CONFIG_INVALID",
      `${what} must be a positive number of milliseconds; got ${String(ms)}.`,
    );
  }
}

/**
 * The background service that keeps the check cache fresh: one round at
 * start, then one every `intervalMs` (measured start to start, never
 * overlapping), each check bounded by its own timeout. Probes only read the
 * cache, so a slow database never slows a probe down.
 *
 * @example
 * const runner = createCheckRunner({ intervalMs: 1000, timeoutMs: 500, sanitize, now: Date.now });
 * runner.add(postgresCheck(pool));
 * await runner.start();
 */
export function createCheckRunner(options: CheckRunnerOptions): CheckRunner {
  validTimeout(options.intervalMs, "intervalMs");
  validTimeout(options.timeoutMs, "timeoutMs");
  const slots: CheckSlot[] = [];
  let timer: NodeJS.Timeout | undefined;
  let firstRound: Promise<void> | undefined;
  let closed = false;

  const runSlot = (slot: CheckSlot): Promise<void> => {
    if (slot.pending) return slot.pending;
    if (slot.hung) {
      slot.result = {
        status: "fail",
        output: `timed out after ${slot.timeoutMs} ms; the previous run has not finished yet`,
        time: options.now(),
      };
      return Promise.resolve();
    }
    slot.pending = runCheck(slot.check, {
      timeoutMs: slot.timeoutMs,
      sanitize: options.sanitize,
      now: options.now,
    }).then(({ result, stillRunning }) => {
      slot.result = result;
      slot.pending = undefined;
      if (stillRunning) {
        slot.hung = true;
        void stillRunning.then(() => {
          slot.hung = false;
        });
      }
    });
    return slot.pending;
  };

  const refresh = async () => {
    await Promise.all(slots.map(runSlot));
    options.onRound?.();
  };

  const loop = async (): Promise<void> => {
    const began = performance.now();
    await refresh();
    if (closed) return;
    const wait = Math.max(0, options.intervalMs - (performance.now() - began));
    timer = setTimeout(() => void loop(), wait);
    // Probes must never keep a process alive that is otherwise done.
    timer.unref();
  };

  return {
    add(check) {
      validTimeout(check.timeoutMs, `timeoutMs of health check "${check.name}"`);
      const key = checkKey(check);
      if (slots.some((s) => s.key === key)) {
        throw new OpskitError(
          "HEALTH_CONFIG_INVALID",
          `A health check with key "${key}" is already registered; give the second one another name or measurement.`,
        );
      }
      slots.push({
        key,
        check,
        timeoutMs: check.timeoutMs ?? options.timeoutMs,
        critical: check.critical ?? true,
        result: undefined,
        pending: undefined,
        hung: false,
      });
    },
    slots: () => slots,
    refresh,
    start() {
      if (closed) {
        return Promise.reject(
          new OpskitError(
            "HEALTH_CONFIG_INVALID",
            "The health check runner was closed; create a new one to start again.",
          ),
        );
      }
      firstRound ??= loop();
      return firstRound;
    },
    close() {
      closed = true;
      clearTimeout(timer);
    },
  };
}
