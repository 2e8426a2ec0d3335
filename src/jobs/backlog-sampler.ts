import type { Pool } from "../db/index.js";
import type { Logger } from "../log/index.js";
import { startPeriodicTask } from "../periodic-task.js";
import { sampleBacklog } from "./sql/sample-backlog.js";

export interface BacklogSampler {
  stop(): Promise<void>;
}

/**
 * Samples the backlog every `intervalMs` into opskit.job_backlog_samples,
 * which the console overview's chart draws (one background service per
 * file). A failed sample is logged and skipped: the chart shows a gap,
 * nothing else depends on it.
 */
export function createBacklogSampler(pool: Pool, log: Logger, intervalMs: number): BacklogSampler {
  const task = startPeriodicTask({
    intervalMs,
    immediate: true,
    run: () => sampleBacklog(pool),
    onError: (error) => log.warn({ err: error }, "console backlog sample failed"),
  });
  return { stop: task.stop };
}
