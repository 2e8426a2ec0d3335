/**
 * How long a failed job waits before its next attempt. Exponential with full
 * jitter by default (retries of many jobs that failed together spread out
 * instead of stampeding a recovering dependency), fixed, or any function.
 *
 * @example
 * defineTask("push", handler, { backoff: { type: "exponential", baseMs: 2_000, maxMs: 600_000 } });
 * defineTask("poll", handler, { backoff: { type: "fixed", delayMs: 30_000 } });
 * defineTask("sync", handler, { backoff: (attempt) => attempt * 60_000 });
 */
export type Backoff = BackoffSpec | ((attempt: number, error: Error) => number);

/** The serialisable forms, which can also be given per job (`queue.add(…, { backoff })`). */
export type BackoffSpec =
  | { type: "exponential"; baseMs?: number; maxMs?: number; jitter?: boolean }
  | { type: "fixed"; delayMs: number };

export const DEFAULT_BACKOFF: BackoffSpec = {
  type: "exponential",
  baseMs: 1_000,
  maxMs: 3_600_000,
  jitter: true,
};

/**
 * The delay in milliseconds before attempt `attempt + 1`, after `attempt`
 * (1-based) failed. Never negative; not a number counts as 0.
 */
export function backoffDelay(
  backoff: Backoff,
  attempt: number,
  error: Error,
  random: () => number = Math.random,
): number {
  let ms: number;
  if (typeof backoff === "function") ms = backoff(attempt, error);
  else if (backoff.type === "fixed") ms = backoff.delayMs;
  else {
    const base = backoff.baseMs ?? 1_000;
    const max = backoff.maxMs ?? 3_600_000;
    const ceiling = Math.min(max, base * 2 ** Math.min(attempt - 1, 40));
    // "Full jitter": uniformly in [ceiling/2, ceiling] keeps a floor so a retry is never immediate.
    ms = backoff.jitter === false ? ceiling : ceiling / 2 + random() * (ceiling / 2);
  }
  return Number.isFinite(ms) && ms > 0 ? Math.round(ms) : 0;
}
