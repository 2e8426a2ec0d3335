/**
 * The one periodic-task helper every background loop of the toolkit uses
 * (retention, maintenance, sampling, flushing): a round every `intervalMs`
 * counted from the end of the previous one, so rounds never overlap; at most
 * one round in flight (`runNow()` while one runs joins it); the timer is
 * unref'd, so it never keeps a process alive; `stop()` clears the timer and
 * waits for the round in progress. A failed round goes to `onError` and the
 * next one runs as planned.
 *
 * @example
 * const retention = startPeriodicTask({
 *   intervalMs: 3_600_000,
 *   run: () => pruneInboxPayloads(pool, limits),
 *   onError: (err) => log.warn({ err }, "retention failed; the next round retries"),
 * });
 * await retention.stop();
 */
export interface PeriodicTaskOptions<T> {
  intervalMs: number;
  run: () => Promise<T>;
  onError: (error: unknown) => void;
  /** Run the first round at once instead of after one interval; default false. */
  immediate?: boolean;
}

export interface PeriodicTask<T> {
  /** One round now (or the one in progress); rejects when it fails. */
  runNow: () => Promise<T>;
  /** Stops the timer and waits for a round in progress; idempotent. */
  stop: () => Promise<void>;
}

export function startPeriodicTask<T>(options: PeriodicTaskOptions<T>): PeriodicTask<T> {
  let running: Promise<T> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  const runNow = (): Promise<T> => {
    running ??= options.run().finally(() => {
      running = undefined;
    });
    return running;
  };
  const schedule = (ms: number) => {
    if (stopped) return;
    timer = setTimeout(() => {
      runNow()
        .catch((error: unknown) => options.onError(error))
        .finally(() => schedule(options.intervalMs));
    }, ms);
    timer.unref();
  };
  schedule(options.immediate ? 0 : options.intervalMs);

  return {
    runNow,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running?.catch(() => undefined);
    },
  };
}
