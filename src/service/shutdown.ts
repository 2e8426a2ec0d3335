import type { Logger } from "../log/index.js";
import { toError } from "../errors.js";
import type { BaseConfig, PartContext, PartStop } from "../service-part.js";
import type { ServiceDatabase } from "./database.js";

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

/** A started part's (or an `onShutdown` hook's) stop, named for its shutdown phase. */
export interface StartedPart {
  name: string;
  stop: PartStop;
}

/**
 * The service's shutdown: readiness fails, the drain delay lets load
 * balancers stop routing, then the started parts stop in reverse order
 * (HTTP first, then the `onShutdown` hooks), then what the bootstrap made:
 * health, the pool, metrics, the embedded Postgres. `stop()` runs it once;
 * `drain()` runs only its first two phases (for a framework that closes its
 * own server between them and the rest);
 * `abort()` is the same without the drain, for a boot that failed halfway.
 */
export function serviceShutdown(o: {
  base: PartContext;
  database: ServiceDatabase;
  started: readonly StartedPart[];
  hooks: readonly StartedPart[];
  env: Record<string, string | undefined> | undefined;
}): {
  stop: (reason?: string) => Promise<boolean>;
  drain: (reason?: string) => Promise<void>;
  abort: () => Promise<void>;
} {
  const { base } = o;
  // Readiness failing and the drain delay, once: a framework adapter runs
  // them before its server stops accepting (Fastify's preClose, Nest's
  // beforeApplicationShutdown), and `stop()` then finds them done.
  let failingSince: number | undefined;
  const failReadiness = (reason: string) => {
    if (failingSince !== undefined) return;
    failingSince = performance.now();
    base.log.child({ category: "shutdown" }).info({ reason }, "shutdown: readiness now fails");
    base.health.beginShutdown();
  };
  let delayed: Promise<void> | undefined;
  const drainDelayOnce = (remaining: number) =>
    (delayed ??= delay(Math.min(drainDelay(base.config, o.env ?? process.env), remaining)));
  const partPhases = (): ShutdownPhase[] => {
    const reversed = [...o.started].reverse();
    const http = reversed.findIndex((p) => p.name === "http");
    const ordered = [...reversed.slice(0, http + 1), ...o.hooks, ...reversed.slice(http + 1)];
    return ordered.map((p) => ({ name: p.name, run: async (ms) => p.stop(ms) }));
  };
  const closing: ShutdownPhase[] = [
    { name: "health", run: async () => base.health.close() },
    { name: "pool", run: () => base.pool.end() },
    { name: "metrics", run: async () => base.metrics.close() },
    { name: "embedded_postgres", run: async () => void (await o.database.embedded?.stop()) },
  ];
  let stopping: Promise<boolean> | undefined;
  return {
    stop(reason = "stop") {
      stopping ??= runShutdown(
        [
          { name: "readiness", run: async () => failReadiness(reason) },
          { name: "drain_delay", run: drainDelayOnce },
          ...partPhases(),
          ...closing,
        ],
        // One budget from the moment readiness began to fail, however the drain began.
        base.config.OPSKIT_SHUTDOWN_TIMEOUT -
          (failingSince === undefined ? 0 : performance.now() - failingSince),
        base.log,
      );
      return stopping;
    },
    async drain(reason = "drain") {
      failReadiness(reason);
      await drainDelayOnce(base.config.OPSKIT_SHUTDOWN_TIMEOUT);
    },
    async abort() {
      for (const phase of [...partPhases(), ...closing]) {
        await Promise.resolve(phase.run(base.config.OPSKIT_SHUTDOWN_TIMEOUT)).catch(
          () => undefined,
        );
      }
    },
  };
}

/**
 * The drain delay: readiness fails this long before the server stops
 * accepting, so load balancers stop routing first. Local development has no
 * load balancer, so there it is 0 unless set explicitly.
 */
function drainDelay(config: BaseConfig, env: Record<string, string | undefined>): number {
  if (config.NODE_ENV === "development" && !env.OPSKIT_SHUTDOWN_DRAIN_DELAY) return 0;
  return config.OPSKIT_SHUTDOWN_DRAIN_DELAY;
}

/**
 * Waits at least `ms` by the monotonic clock. A timer alone can fire a few
 * milliseconds early against it on a busy loop (libuv counts from the loop's
 * cached time), and a drain delay cut short lets a load balancer route to a
 * server that is about to stop accepting.
 */
async function delay(ms: number): Promise<void> {
  const end = performance.now() + ms;
  for (let left = ms; left > 0; left = end - performance.now()) {
    await new Promise((resolve) => setTimeout(resolve, Math.ceil(left)));
  }
}
