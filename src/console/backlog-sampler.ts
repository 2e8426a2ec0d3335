import type { Pool } from "../db/index.js";
import type { Logger } from "../log/index.js";
import { sampleBacklog } from "./sql/console-overview.js";

export interface BacklogSampler {
  stop(): Promise<void>;
}

/**
 * Samples the backlog every `intervalMs` for the overview's chart (one
 * background service per file). A failed sample is logged and skipped: the
 * chart shows a gap, nothing else depends on it.
 */
export function createBacklogSampler(pool: Pool, log: Logger, intervalMs: number): BacklogSampler {
  let running: Promise<void> | undefined;
  const sample = () => {
    running ??= sampleBacklog(pool)
      .then(() => undefined)
      .catch((error: unknown) => log.warn({ err: error }, "console backlog sample failed"))
      .finally(() => {
        running = undefined;
      });
  };
  const timer = setInterval(sample, intervalMs);
  timer.unref();
  sample();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
