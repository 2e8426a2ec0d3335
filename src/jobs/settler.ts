import type { Queryable } from "../db/index.js";
import type { Logger } from "../log/index.js";
import { toError } from "../errors.js";
import type { Settlement } from "./job.js";
import { settleJobs } from "./sql/settle-jobs.js";

export interface Settler {
  /** Queues an outcome; it is written with the next batch. */
  add(settlement: Settlement): void;
  /** Resolves once everything queued so far is written (or given up on after `budgetMs`). */
  drain(budgetMs?: number): Promise<boolean>;
  pending(): number;
}

export interface SettlerOptions {
  db: Queryable;
  keepHistory: boolean;
  prepared: boolean;
  log: Logger;
  /** Most outcomes per statement; default 2000. */
  maxBatch?: number;
  /** Called with each written batch and what was applied (fenced ones are missing). */
  onSettled?: (batch: Settlement[], applied: Map<string, string>) => void;
}

/**
 * Batches job outcomes like group commit: when no write is in flight an
 * outcome is written at once (no added latency when idle); outcomes that
 * arrive meanwhile wait and go together in the next statement. A failed
 * write (the database restarting) is retried with backoff: the fence makes a
 * repeated write harmless.
 */
export function createSettler(options: SettlerOptions): Settler {
  const maxBatch = options.maxBatch ?? 2_000;
  let queue: Settlement[] = [];
  let flushing: Promise<void> | undefined;
  let failures = 0;

  const flush = async (): Promise<void> => {
    while (queue.length > 0) {
      const batch = queue.slice(0, maxBatch);
      try {
        const { applied } = await settleJobs(options.db, batch, options);
        queue = queue.slice(batch.length);
        failures = 0;
        options.onSettled?.(batch, applied);
      } catch (error) {
        failures++;
        options.log.warn(
          { err: toError(error), pending: queue.length, failures },
          "writing job outcomes failed; retrying",
        );
        await new Promise((r) => setTimeout(r, Math.min(5_000, 50 * 2 ** Math.min(failures, 7))));
      }
    }
  };
  const kick = () => {
    flushing ??= flush().finally(() => {
      flushing = undefined;
      if (queue.length > 0) kick();
    });
  };

  return {
    add(settlement) {
      queue.push(settlement);
      kick();
    },
    async drain(budgetMs = Infinity) {
      const deadline = performance.now() + budgetMs;
      while (queue.length > 0 || flushing) {
        const left = deadline - performance.now();
        if (left <= 0) return false;
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          flushing ?? Promise.resolve(),
          new Promise((r) => (timer = setTimeout(r, Math.min(left, 1_000)))),
        ]);
        clearTimeout(timer);
      }
      return true;
    },
    pending: () => queue.length,
  };
}
