import type { Hono } from "hono";
import { OpskitError } from "../errors.js";
import { createCheckRunner } from "./check-runner.js";
import type { HealthCheck } from "./health-check.js";
import type { HealthIdentity } from "./health-document.js";
import { createHealthRoutes } from "./health-routes.js";
import { evaluateHealth, type HealthSnapshot } from "./health-snapshot.js";
import { createHealthState, type HealthState } from "./health-state.js";
import { maskUrlCredentials } from "../log/index.js";
import type { Sanitize } from "./safe-message.js";

export interface CreateHealthOptions extends HealthIdentity {
  checks?: HealthCheck[];
  /** How often the checks run in the background; default 1000 ms. */
  intervalMs?: number;
  /** Timeout of a check that sets none; default 500 ms. */
  timeoutMs?: number;
  /**
   * A cached result older than this reports fail (the runner is not running).
   * Default: 3 × intervalMs + the longest check timeout.
   */
  staleAfterMs?: number;
  /** Applied to every error message and check output before it is shown; default masks URL credentials. */
  sanitize?: Sanitize;
  /** The clock, in epoch milliseconds; default Date.now. */
  now?: () => number;
}

export interface Health {
  /** Routes `/livez`, `/readyz`, `/health`; mount at the root of the service's app. */
  app: Hono;
  addCheck(check: HealthCheck): void;
  /** Runs the checks once now and then every `intervalMs`; resolves after the first round. */
  start(): Promise<void>;
  /** Startup work (migrations, warm-up) is done: starting → ready. */
  markStarted(): void;
  /** Shutdown began: `/readyz` fails from now on; `/livez` stays 200. */
  beginShutdown(): void;
  state(): HealthState;
  /** Ready = started, not shutting down, and no critical check failing (warn is ready). */
  isReady(): boolean;
  /** Resolves the first time the service is ready; rejects (SHUTTING_DOWN) if shutdown begins first. */
  whenReady(): Promise<void>;
  /** The current judgement of state and cached checks (what the probes serve). */
  snapshot(): HealthSnapshot;
  /** Runs every check now and updates the cache; for tests and for a warm-up step. */
  refresh(): Promise<void>;
  /** Stops the background runner. */
  close(): void;
}

/**
 * Health probes for a Hono service: liveness, cached readiness with startup
 * gating and shutdown, and an `application/health+json` document.
 *
 * @example
 * const health = createHealth({ version: "1.4.0", checks: [postgresCheck(pool)] });
 * app.route("/", health.app);
 * await health.start();
 * await migrate();
 * health.markStarted();
 * // on SIGTERM: health.beginShutdown(); … drain …; health.close();
 */
export function createHealth(options: CreateHealthOptions = {}): Health {
  const now = options.now ?? Date.now;
  const intervalMs = options.intervalMs ?? 1000;
  const timeoutMs = options.timeoutMs ?? 500;
  const sanitize = options.sanitize ?? maskUrlCredentials;
  // Uptime of the process, read through the health clock so tests can move time.
  const processStartedAt = now() - process.uptime() * 1000;
  const lifecycle = createHealthState();

  let resolveReady!: () => void;
  let rejectReady!: (error: Error) => void;
  let settledReady = false;
  const ready = new Promise<void>((resolve, reject) => {
    resolveReady = resolve;
    rejectReady = reject;
  });
  // Nobody may be waiting on whenReady(); a shutdown before ready must not crash the process.
  ready.catch(() => undefined);

  const runner = createCheckRunner({
    intervalMs,
    timeoutMs,
    sanitize,
    now,
    onRound: () => settleReady(),
  });

  const snapshot = (): HealthSnapshot => {
    const slots = runner.slots();
    const longest = Math.max(timeoutMs, ...slots.map((s) => s.timeoutMs));
    return evaluateHealth({
      state: lifecycle.state(),
      slots,
      now: now(),
      staleAfterMs: options.staleAfterMs ?? 3 * intervalMs + longest,
    });
  };

  function settleReady(): void {
    if (settledReady) return;
    if (lifecycle.state() === "shutting_down") {
      settledReady = true;
      rejectReady(
        new OpskitError("SHUTTING_DOWN", "Shutdown began before the service became ready."),
      );
    } else if (snapshot().ready) {
      settledReady = true;
      resolveReady();
    }
  }
  lifecycle.onChange(() => settleReady());

  for (const check of options.checks ?? []) runner.add(check);

  return {
    app: createHealthRoutes({
      snapshot,
      identity: {
        version: options.version,
        releaseId: options.releaseId,
        serviceId: options.serviceId,
        description: options.description,
        notes: options.notes,
      },
      uptimeSeconds: () => Math.max(0, (now() - processStartedAt) / 1000),
    }),
    addCheck: (check) => runner.add(check),
    start: () => runner.start(),
    markStarted: () => lifecycle.markStarted(),
    beginShutdown: () => lifecycle.beginShutdown(),
    state: () => lifecycle.state(),
    isReady: () => snapshot().ready,
    whenReady: () => ready,
    snapshot,
    refresh: () => runner.refresh(),
    close: () => runner.close(),
  };
}
