import {
  formatConfigReport,
  type ConfigOf,
  type ConfigReport,
  type Manifest,
} from "../config/index.js";
import { OpskitError, toError } from "../errors.js";
import { flushLogs, maskUrlCredentials } from "../log/index.js";
import { startService, type RunningService, type ServiceOptions } from "./create-service.js";

export interface RunServiceOptions<C = unknown> {
  /** Print a bad-config report as one JSON object instead of text. */
  json?: boolean;
  /** Called once the service is ready (e.g. to print URLs); `service.config` keeps the manifest's type. */
  onReady?: (service: RunningService<C>) => void | Promise<void>;
}

/**
 * The process entry point: starts the service, stops it gracefully on
 * SIGTERM/SIGINT (a second signal exits at once), and exits with the right
 * code: 0 after a clean shutdown or a successful `migrate` role, 1 on a
 * failure or a shutdown over budget, 2 on a bad config (the whole report,
 * secrets never echoed).
 *
 * @example
 * await runService({ name: "bakery", version: "1.0.0", manifest, routes });
 */
export async function runService<M extends Manifest>(
  options: ServiceOptions<M>,
  run: RunServiceOptions<ConfigOf<M>> = {},
): Promise<never> {
  let service: RunningService<ConfigOf<M>>;
  try {
    service = await startService(options);
  } catch (thrown) {
    process.exit(reportStartupFailure(thrown, run.json ?? false));
  }
  if (service.role === "migrate") {
    await service.stop("role migrate done");
    await flush(service);
    process.exit(0);
  }
  await run.onReady?.(service);

  const exitAfter = async (reason: string) => {
    const ok = await service.stop(reason);
    await flush(service);
    process.exit(ok ? 0 : 1);
  };
  let signalled = false;
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.on(signal, () => {
      if (signalled) {
        service.log.child({ category: "shutdown" }).warn({ signal }, "second signal: exiting now");
        process.exit(1);
      }
      signalled = true;
      void exitAfter(signal);
    });
  }
  return new Promise<never>(() => undefined);
}

function reportStartupFailure(thrown: unknown, json: boolean): number {
  const configInvalid = thrown instanceof OpskitError && thrown.code === "CONFIG_INVALID";
  const report = configInvalid ? (thrown.details?.report as ConfigReport | undefined) : undefined;
  if (report) {
    process.stderr.write(formatConfigReport(report, json ? "json" : "text") + "\n");
    return 2;
  }
  const error = toError(thrown);
  const code = thrown instanceof OpskitError ? thrown.code : "INTERNAL";
  // The logger may not exist yet: one JSON line on stderr, message only (it
  // never holds a secret: OpskitError messages name hosts, not passwords).
  process.stderr.write(
    JSON.stringify({
      level: "fatal",
      category: "startup",
      code,
      msg: maskUrlCredentials(error.message),
    }) + "\n",
  );
  // A config error without a report (thrown by a service's own check) is still a bad config.
  return configInvalid ? 2 : 1;
}

function flush(service: RunningService<unknown>): Promise<void> {
  return flushLogs(service.log);
}
