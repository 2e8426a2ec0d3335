import type { Queryable } from "../db/index.js";
import { OpskitError, isOpskitError, toError } from "../errors.js";
import { runWithLogContext, type Logger } from "../log/index.js";
import { DEFAULT_BACKOFF, backoffDelay } from "./backoff.js";
import { parsePayload, type AnyTask } from "./define-task.js";
import type { AddOptions, AddResult, ClaimedJob, JobError, Settlement } from "./job.js";
import type { JobAbort } from "./job-abort.js";
import type { JobContext } from "./job-context.js";
import { heartbeatJob, saveCheckpoint, saveProgress } from "./sql/heartbeat-worker.js";

export interface RunJobOptions {
  db: Queryable;
  worker: string;
  leaseMs: number;
  /** After the signal aborts, how long the handler may take to return before it is abandoned. */
  abortGraceMs: number;
  log: Logger;
  add: (task: AnyTask | string, payload: unknown, options?: AddOptions) => Promise<AddResult>;
}

/**
 * Runs one claimed job's handler and returns what became of it (undefined:
 * nothing to write, the claim was lost). The handler never blocks the worker
 * past its timeout: once the job is aborted it has `abortGraceMs` to return,
 * then it is abandoned (left to finish or hang on its own) and the attempt
 * is settled by the abort reason.
 */
export async function runJob(
  job: ClaimedJob,
  task: AnyTask,
  abort: JobAbort,
  o: RunJobOptions,
): Promise<Settlement | undefined> {
  const startedAt = new Date();
  const timeoutMs = job.timeout_ms ?? task.options.timeoutMs;
  const timer =
    timeoutMs === undefined
      ? undefined
      : setTimeout(
          () =>
            abort.abort(
              new OpskitError(
                "JOB_TIMEOUT",
                `Job ${job.id} (${job.task}) ran past its timeout of ${timeoutMs} ms.`,
              ),
            ),
          timeoutMs,
        );
  try {
    const payload: unknown = parsePayload(task, job.payload);
    const ctx = new RunningJob(job, abort, o);
    const origin = job.meta?.request_id;
    const work = runWithLogContext(
      {
        job_id: job.id,
        task: job.task,
        queue: job.queue,
        attempt: job.attempts,
        // The request that enqueued it: one id joins the request's lines and the job's.
        ...(origin === undefined ? {} : { request_id: origin }),
      },
      () => callHandler(task, payload, ctx),
    );
    await settleOrAbandon(work, abort, o.abortGraceMs);
    if (abort.aborted) return outcomeOfAbort(job, task, startedAt, abort.reason, o);
    return settlementOf(job, o, startedAt, "completed");
  } catch (thrown) {
    if (abort.aborted) return outcomeOfAbort(job, task, startedAt, abort.reason, o);
    const error = toError(thrown);
    if (isOpskitError(error, "JOB_PAYLOAD_INVALID")) {
      o.log.error({ job_id: job.id, task: job.task, err: error }, "job payload invalid: dead");
      return { ...settlementOf(job, o, startedAt, "dead"), error: jobError(job, error, o.worker) };
    }
    return failure(job, task, startedAt, error, o);
  } finally {
    clearTimeout(timer);
  }
}

/** An outcome of this attempt: the job, its fence (attempt, worker), its start. */
function settlementOf(
  job: ClaimedJob,
  o: RunJobOptions,
  startedAt: Date,
  outcome: Settlement["outcome"],
): Settlement {
  return { id: job.id, attempt: job.attempts, worker: o.worker, startedAt, outcome };
}

/** The handler's promise; a synchronous throw becomes its rejection. */
async function callHandler(task: AnyTask, payload: unknown, ctx: JobContext): Promise<unknown> {
  return task.handler(payload, ctx);
}

function outcomeOfAbort(
  job: ClaimedJob,
  task: AnyTask,
  startedAt: Date,
  reason: unknown,
  o: RunJobOptions,
): Settlement | undefined {
  const error = toError(reason);
  if (isOpskitError(error, "JOB_CANCELLED")) {
    return {
      ...settlementOf(job, o, startedAt, "cancelled"),
      error: jobError(job, error, o.worker),
    };
  }
  if (isOpskitError(error, "JOB_INTERRUPTED")) {
    return { ...settlementOf(job, o, startedAt, "release"), error: jobError(job, error, o.worker) };
  }
  if (isOpskitError(error, "JOB_LEASE_LOST")) return undefined;
  return failure(job, task, startedAt, error, o);
}

function failure(
  job: ClaimedJob,
  task: AnyTask,
  startedAt: Date,
  error: Error,
  o: RunJobOptions,
): Settlement {
  const record = jobError(job, error, o.worker);
  if (job.attempts >= job.max_attempts) {
    o.log.error(
      { job_id: job.id, task: job.task, attempt: job.attempts, err: error },
      "job failed its last attempt: dead",
    );
    return { ...settlementOf(job, o, startedAt, "dead"), error: record };
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
  return { ...settlementOf(job, o, startedAt, "retry"), delayMs: delay, error: record };
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

/** Resolves/rejects with `work`, or rejects with the abort reason `graceMs` after the job is aborted. */
function settleOrAbandon(work: Promise<unknown>, abort: JobAbort, graceMs: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const onAbort = () => {
      timer = setTimeout(() => reject(toError(abort.reason)), graceMs);
    };
    if (abort.aborted) onAbort();
    else abort.onAbort(onAbort);
    work.then(
      () => {
        clearTimeout(timer);
        abort.onAbort(undefined);
        resolve();
      },
      (error: unknown) => {
        clearTimeout(timer);
        abort.onAbort(undefined);
        reject(toError(error));
      },
    );
  });
}

/**
 * The context a handler gets: one object per job, its methods shared on the
 * prototype (no closures made per job), its signal created on first read.
 */
class RunningJob implements JobContext {
  readonly id: string;
  readonly task: string;
  readonly queue: string;
  readonly attempt: number;
  readonly maxAttempts: number;
  readonly log: Logger;
  readonly checkpointed: unknown;
  readonly schedule: { name: string; slot: Date } | undefined;
  readonly #abort: JobAbort;
  readonly #o: RunJobOptions;
  // Progress is written coalesced: one write in flight, the latest value next.
  #latest: number | undefined;
  #writing: Promise<void> | undefined;

  constructor(job: ClaimedJob, abort: JobAbort, o: RunJobOptions) {
    this.id = job.id;
    this.task = job.task;
    this.queue = job.queue;
    this.attempt = job.attempts;
    this.maxAttempts = job.max_attempts;
    this.log = o.log;
    this.checkpointed = job.checkpoint ?? undefined;
    const slot = job.meta?.slot;
    this.schedule =
      job.meta?.schedule !== undefined && slot !== undefined
        ? { name: job.meta.schedule, slot: new Date(slot) }
        : undefined;
    this.#abort = abort;
    this.#o = o;
  }

  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  get #claim() {
    return { id: this.id, attempt: this.attempt, worker: this.#o.worker };
  }

  #lost(): void {
    this.#abort.abort(
      new OpskitError(
        "JOB_LEASE_LOST",
        `Worker ${this.#o.worker} no longer holds job ${this.id}; another worker may run it.`,
      ),
    );
  }

  async checkpoint(state: unknown, options?: { tx?: Queryable }): Promise<boolean> {
    const ok = await saveCheckpoint(options?.tx ?? this.#o.db, this.#claim, state);
    if (!ok) this.#lost();
    return ok;
  }

  add(task: AnyTask | string, payload: unknown, options?: AddOptions): Promise<AddResult> {
    return this.#o.add(task, payload, options);
  }

  async heartbeat(): Promise<boolean> {
    const ok = await heartbeatJob(this.#o.db, this.#claim, this.#o.leaseMs);
    if (!ok) this.#lost();
    return ok;
  }

  progress(value: number): Promise<void> {
    this.#latest = value;
    this.#writing ??= this.#writeProgress().finally(() => {
      this.#writing = undefined;
    });
    return this.#writing;
  }

  async #writeProgress(): Promise<void> {
    while (this.#latest !== undefined) {
      const value = this.#latest;
      this.#latest = undefined;
      if (!(await saveProgress(this.#o.db, this.#claim, value))) this.#lost();
    }
  }
}
