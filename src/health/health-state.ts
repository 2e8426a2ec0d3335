/**
 * The service lifecycle as the probes see it. It only moves forward:
 *
 *   starting ──markStarted()──▶ ready ──beginShutdown()──▶ shutting_down
 *       └───────────────beginShutdown()──────────────────────────┘
 */
export const HEALTH_STATES = ["starting", "ready", "shutting_down"] as const;

export type HealthState = (typeof HEALTH_STATES)[number];

export interface HealthStateMachine {
  state(): HealthState;
  /** starting → ready. A no-op once shutdown has begun (a signal during migrations wins). */
  markStarted(): void;
  /** any → shutting_down; idempotent. */
  beginShutdown(): void;
  /** Called after every transition. */
  onChange(listener: (state: HealthState) => void): void;
}

/**
 * The forward-only lifecycle state machine behind `/readyz`.
 *
 * @example
 * const lifecycle = createHealthState();
 * lifecycle.markStarted(); // "ready"
 * lifecycle.beginShutdown(); // "shutting_down"
 */
export function createHealthState(): HealthStateMachine {
  let current: HealthState = "starting";
  const listeners: ((state: HealthState) => void)[] = [];
  const move = (next: HealthState) => {
    if (next === current) return;
    current = next;
    for (const listener of listeners) listener(current);
  };
  return {
    state: () => current,
    markStarted() {
      if (current === "starting") move("ready");
    },
    beginShutdown() {
      move("shutting_down");
    },
    onChange(listener) {
      listeners.push(listener);
    },
  };
}
