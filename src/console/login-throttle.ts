/**
 * Refuses logins from a client address after too many failures: the
 * console can terminate backends and replay webhooks, so guessing tokens or
 * passwords must be slow. Fixed windows per address, in memory (a restart
 * forgets them; each process of a service counts on its own), at most
 * `maxAddresses` remembered (the oldest are dropped first).
 */
export interface LoginThrottle {
  /** Seconds until `address` may try again, or 0 when it may now. */
  retryAfter(address: string): number;
  /** Counts a failure; returns true when this one started a refusal. */
  fail(address: string): boolean;
  /** A successful login clears the address's count. */
  succeed(address: string): void;
}

export interface LoginThrottleOptions {
  /** Failures allowed per address and window; default 10. */
  maxFailures?: number;
  /** Default 15 minutes. */
  windowMs?: number;
  /** Default 10,000. */
  maxAddresses?: number;
  now?: () => number;
}

export function createLoginThrottle(options: LoginThrottleOptions = {}): LoginThrottle {
  const maxFailures = options.maxFailures ?? 10;
  const windowMs = options.windowMs ?? 15 * 60_000;
  const maxAddresses = options.maxAddresses ?? 10_000;
  const now = options.now ?? Date.now;
  // Insertion order is age order: a Map iterates oldest first.
  const windows = new Map<string, { failures: number; endsAt: number }>();

  const current = (address: string) => {
    const w = windows.get(address);
    if (w && w.endsAt <= now()) {
      windows.delete(address);
      return undefined;
    }
    return w;
  };

  return {
    retryAfter(address) {
      const w = current(address);
      return w && w.failures >= maxFailures ? Math.ceil((w.endsAt - now()) / 1000) : 0;
    },
    fail(address) {
      let w = current(address);
      if (!w) {
        if (windows.size >= maxAddresses) {
          const oldest = windows.keys().next();
          if (!oldest.done) windows.delete(oldest.value);
        }
        w = { failures: 0, endsAt: now() + windowMs };
        windows.set(address, w);
      }
      w.failures++;
      return w.failures === maxFailures;
    },
    succeed(address) {
      windows.delete(address);
    },
  };
}
