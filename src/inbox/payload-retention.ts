import type { Pool } from "../db/index.js";
import { toError } from "../errors.js";
import type { Logger } from "../log/index.js";
import { startPeriodicTask } from "../periodic-task.js";
import { pruneInboxPayloads, type PruneResult } from "./sql/prune-inbox-payloads.js";

export interface PayloadRetentionOptions {
  pool: Pool;
  log: Logger;
  /** Between runs; default 1 hour. */
  intervalMs?: number;
  /** Rows per statement; default 1,000. */
  batchSize?: number;
  /** Batches per run, so one run never holds the database for long; default 100. */
  maxBatches?: number;
}

export interface PayloadRetention {
  /** One run now (also what the timer does). */
  runOnce(): Promise<PruneResult>;
  /** Stops the timer and waits for a run in progress. */
  stop(): Promise<void>;
}

/**
 * The background service that applies each source's retention: every
 * interval, prunes payloads of finished events past their source's
 * `retentionDays` (bounded batches; see `pruneInboxPayloads`). Runs on every
 * worker process; concurrent runs skip each other's rows.
 *
 * @example
 * const retention = startPayloadRetention({ pool, log });
 * await retention.stop();
 */
export function startPayloadRetention(options: PayloadRetentionOptions): PayloadRetention {
  const log = options.log.child({ category: "inbox" });
  const task = startPeriodicTask({
    intervalMs: options.intervalMs ?? 3_600_000,
    run: async () => {
      const result = await pruneInboxPayloads(options.pool, {
        batchSize: options.batchSize ?? 1_000,
        maxBatches: options.maxBatches ?? 100,
      });
      const total = Object.values(result.pruned).reduce((a, b) => a + b, 0);
      if (total > 0)
        log.info({ pruned: result.pruned, batches: result.batches }, "inbox payloads pruned");
      return result;
    },
    onError: (error) =>
      log.warn({ err: toError(error) }, "inbox retention run failed; the next run retries"),
  });
  return { runOnce: task.runNow, stop: task.stop };
}
