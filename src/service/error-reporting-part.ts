import type { ErrorReporting } from "../log/index.js";
import { ALL_ROLES, type ServicePart } from "../service-part.js";

/**
 * Reports what no handler answered: every dead job (`job.dead`) and every
 * unhandled promise rejection, through the logger and the service's
 * reporters (the HTTP app reports its 5xx itself). An unhandled rejection is
 * reported and the process keeps running, as Sentry's default does: the
 * request or job it came from has already failed on its own terms. Stops by
 * unsubscribing, then flushing the reporters within the budget.
 */
export function errorReportingPart(reporting: ErrorReporting): ServicePart {
  return {
    name: "error_reporting",
    roles: ALL_ROLES,
    start(ctx) {
      const offDead = ctx.queue.on("job.dead", (event) => {
        const error = new Error(event.error?.message ?? "the job's last attempt failed");
        error.name = "DeadJob";
        if (event.error?.stack) error.stack = event.error.stack;
        reporting.report(error, {
          source: "job",
          job_id: event.id,
          task: event.task,
          queue: event.queue,
          attempt: event.attempt,
        });
      });
      const onRejection = (reason: unknown) => reporting.report(reason, { source: "process" });
      process.on("unhandledRejection", onRejection);
      return async (remainingMs) => {
        offDead();
        process.off("unhandledRejection", onRejection);
        return reporting.flush(Math.min(remainingMs, 2_000));
      };
    },
  };
}
