import { OpskitError, isOpskitError, toError } from "../errors.js";
import { runWithLogContext, type Logger } from "../log/index.js";
import { DEFAULT_BACKOFF, backoffDelay } from "./backoff.js";
import { parsePayload, type AnyTask } from "./define-task.js";
import type { ClaimedJob, JobError, Queryable, Settlement } from "./job.js";
import type { JobContext } from "./job-context.js";
import { heartbeatJob, saveCheckpoint, saveProgress } from "./sql/heartbeat-worker.js";

export interface RunJobOptions {
  db: Queryable;
  worker: string;
  leaseMs: number;
  /** After the signal aborts, how long the handler may take to return before it is abandoned. */
  abortGraceMs: number;
  log: Logger;
}

/**
 * Runs one claimed job's handler and returns what became of it (undefined:
 * nothing to write, the claim was lost). The handler never blocks the worker
 * past its timeout: once the signal aborts it has `abortGraceMs` to return,
 * then it is abandoned (left to finish or hang on its own) and the attempt
 * is settled by the abort reason.
 */
export async function runJob(
  job: ClaimedJob,
  task: AnyTask,
  controller: AbortController,
  o: RunJobOptions,
): Promise<Settlement | undefined> {
  const claim = { id: job.id, attempt: job.attempts, worker: o.worker };
  const startedAt = new Date();
  const base = { id: job.id, attempt: job.attempts, worker: o.worker, startedAt };
  const timeoutMs = job.timeout_ms ?? task.options.timeoutMs;
  const timer =
    timeoutMs === undefined
      ? undefined
      : setTimeout(
          () =>
            controller.abort(
              new OpskitError(
                "JOB_TIMEOUT",
                `Job ${job.id} (${job.task}) ran past its timeout of ${timeoutMs} ms.`,
              ),
            ),
          timeoutMs,
        );
  try {
    const payload: unknown = parsePayload(task, job.payload);
    const ctx = createJobContext(job, claim, controller, o);
    const work = runWithLogContext(
      { job_id: job.id, task: job.task, queue: job.queue, attempt: job.attempts },
      async () => task.handler(payload, ctx),
    );
    await settleOrAbandon(work, controller.signal, o.abortGraceMs);
    if (controller.signal.aborted)
      return outcomeOfAbort(job, task, base, controller.signal.reason, o);
    return { ...base, outcome: "completed" };
  } catch (thrown) {
    if (controller.signal.aborted)
      return outcomeOfAbort(job, task, base, controller.signal.reason, o);
    const error = toError(thrown);
    if (isOpskitError(error, "JOB_PAYLOAD_INVALID")) {
      o.log.error({ job_id: job.id, task: job.task, err: error }, "job payload invalid: dead");
      return { ...base, outcome: "dead", error: jobError(job, error, o.worker) };
    }
    return failure(job, task, base, error, o);
  } finally {
    clearTimeout(timer);
  }
}

function outcomeOfAbort(
  job: ClaimedJob,
  task: AnyTask,
  base: Omit<Settlement, "outcome">,
  reason: unknown,
  o: RunJobOptions,
): Settlement | undefined {
  const error = toError(reason);
  if (isOpskitError(error, "JOB_CANCELLED")) {
    return { ...base, outcome: "cancelled", error: jobError(job, error, o.worker) };
  }
  if (isOpskitError(error, "JOB_INTERRUPTED")) {
    return {
      ...base,
      outcome: "release",
      error: jobError(job, error, o.worker),
    };
  }
  if (isOpskitError(error, "JOB_LEASE_LOST")) return undefined;
  return failure(job, task, base, error, o);
}

function failure(
  job: ClaimedJob,
  task: AnyTask,
  base: Omit<Settlement, "outcome">,
  error: Error,
  o: RunJobOptions,
): Settlement {
  const record = jobError(job, error, o.worker);
  if (job.attempts >= job.max_attempts) {
    o.log.error(
      { job_id: job.id, task: job.task, attempt: job.attempts, err: error },
      "job failed its last attempt: dead",
    );
    return { ...base, outcome: "dead", error: record };
  }
  const delay = backoffDelay(
    job.backoff ?? task.options.backoff ?? DEFAULT_BACKOFF,
    job.attempts,
    error,
  );
  o.log.warn(
    { job_id: job.id, task: job.task, attempt: job.attempts, retry_in_ms: delay, err: error },
    "job failed; will retry",
  );
  return { ...base, outcome: "retry", delayMs: delay, error: record };
}

function jobError(job: ClaimedJob, error: Error, worker: string): JobError {
  return {
    attempt: job.attempts,
    at: new Date().toISOString(),
    message: error.message.slice(0, 2_000),
    ...(error instanceof OpskitError ? { code: error.code } : {}),
    worker,
    ...(error.stack ? { stack: error.stack.slice(0, 4_000) } : {}),
  };
}

/** Resolves/rejects with `work`, or rejects with the abort reason `graceMs` after the signal aborts. */
function settleOrAbandon(
  work: Promise<unknown>,
  signal: AbortSignal,
  graceMs: number,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const onAbort = () => {
      timer = setTimeout(() => reject(toError(signal.reason)), graceMs);
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
    work.then(
      () => resolve(),
      (error: unknown) => reject(toError(error)),
    );
    void work
      .catch(() => undefined)
      .finally(() => {
        clearTimeout(timer);
        signal.removeEventListener("abort", onAbort);
      });
  });
}

function createJobContext(
  job: ClaimedJob,
  claim: { id: string; attempt: number; worker: string },
  controller: AbortController,
  o: RunJobOptions,
): JobContext {
  const lost = () =>
    controller.abort(
      new OpskitError(
        "JOB_LEASE_LOST",
        `Worker ${o.worker} no longer holds job ${job.id}; another worker may run it.`,
      ),
    );
  // Progress is written coalesced: one write in flight, the latest value next.
  let latest: number | undefined;
  let writing: Promise<void> | undefined;
  const writeProgress = async (): Promise<void> => {
    while (latest !== undefined) {
      const value = latest;
      latest = undefined;
      if (!(await saveProgress(o.db, claim, value))) lost();
    }
  };
  const slot = job.meta?.slot;
  return {
    id: job.id,
    task: job.task,
    queue: job.queue,
    attempt: job.attempts,
    maxAttempts: job.max_attempts,
    signal: controller.signal,
    log: o.log,
    checkpointed: job.checkpoint ?? undefined,
    schedule:
      job.meta?.schedule !== undefined && slot !== undefined
        ? { name: job.meta.schedule, slot: new Date(slot) }
        : undefined,
    async checkpoint(state, options) {
      const ok = await saveCheckpoint(options?.tx ?? o.db, claim, state);
      if (!ok) lost();
      return ok;
    },
    async heartbeat() {
      const ok = await heartbeatJob(o.db, claim, o.leaseMs);
      if (!ok) lost();
      return ok;
    },
    progress(value) {
      latest = value;
      writing ??= writeProgress().finally(() => {
        writing = undefined;
      });
      return writing;
    },
  };
}
