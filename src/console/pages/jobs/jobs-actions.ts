import { createJobsAdmin } from "../../../jobs/index.js";
import type { JobsDeps } from "./index.js";
import { JOB_ID } from "./job-detail.js";

/**
 * Retry, cancel and delete one job. Each goes through a jobs handle bound to
 * the action's `tx`, so the change and its audit row commit together.
 */
export function registerJobActions(deps: JobsDeps): void {
  const { router } = deps;
  router.action(`/jobs/:id${JOB_ID}/retry`, "jobs.retry", async (c, { tx }) => {
    const id = c.req.param("id")!;
    const retried = await createJobsAdmin(tx).retryDead(id);
    return {
      target: `job ${id}`,
      result: retried ? "retried" : "not_dead",
      flash: retried
        ? `Job ${id} is ready to run again.`
        : `Job ${id} is not dead: nothing to retry.`,
    };
  });
  router.action(`/jobs/:id${JOB_ID}/cancel`, "jobs.cancel", async (c, { tx }) => {
    const id = c.req.param("id")!;
    const result = await createJobsAdmin(tx).cancel(id);
    const flash = {
      cancelled: `Job ${id} cancelled.`,
      cancelling: `Job ${id} is running: its worker was told to stop it.`,
      not_found: `No unfinished job ${id}.`,
    }[result];
    return { target: `job ${id}`, result, flash };
  });
  router.action(`/jobs/:id${JOB_ID}/delete`, "jobs.delete", async (c, { tx }) => {
    const id = c.req.param("id")!;
    const deleted = await createJobsAdmin(tx).delete([id]);
    return {
      target: `job ${id}`,
      result: deleted.length ? "deleted" : "not_deleted",
      flash: deleted.length
        ? `Job ${id} deleted.`
        : `Job ${id} was not deleted (running, or gone).`,
      redirect: `${router.basePath}/jobs`,
    };
  });
}

/** Pause and resume a queue: workers stop or start claiming from it. */
export function registerQueueActions(deps: JobsDeps): void {
  for (const op of ["pause", "resume"] as const) {
    deps.router.action(
      `/queues/:queue/${op}`,
      op === "pause" ? "queues.pause" : "queues.resume",
      async (c, { tx }) => {
        const queue = c.req.param("queue")!;
        await (op === "pause"
          ? createJobsAdmin(tx).pause(queue)
          : createJobsAdmin(tx).resume(queue));
        return {
          target: `queue ${queue}`,
          result: op === "pause" ? "paused" : "resumed",
          flash:
            op === "pause"
              ? `Queue ${queue} paused: workers stop claiming from it (running jobs finish).`
              : `Queue ${queue} resumed.`,
        };
      },
    );
  }
}
