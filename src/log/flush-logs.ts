import type { Logger } from "pino";

/**
 * Writes out whatever the logger's destination still buffers: the last step
 * of a graceful shutdown, before the process exits.
 *
 * @example
 * await flushLogs(log);
 * process.exit(0);
 */
export function flushLogs(log: Logger): Promise<void> {
  return new Promise((resolve, reject) => {
    log.flush((error) => (error ? reject(error) : resolve()));
  });
}
