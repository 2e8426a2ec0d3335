import type { Queryable } from "../db/index.js";
import type { BackoffSpec } from "./backoff.js";

// Re-exported: `opskit/jobs` has always exported it (its users type `tx` with it).

/** A job as a worker claimed it. Ids are strings (bigint in Postgres). */
export interface ClaimedJob {
  id: string;
  task: string;
  queue: string;
  payload: unknown;
  attempts: number;
  max_attempts: number;
  backoff: BackoffSpec | null;
  timeout_ms: number | null;
  checkpoint: unknown;
  /** `request_id`: the request that enqueued the job (its log lines carry it too). */
  meta: { schedule?: string; slot?: string; request_id?: string } | null;
}

/** What became of one attempt, as the worker reports it (batched, fenced by attempt and worker). */
export type Outcome = "completed" | "cancelled" | "retry" | "dead" | "release";

export interface Settlement {
  id: string;
  /** The attempt number of the claim: the fencing token with the worker id. */
  attempt: number;
  worker: string;
  outcome: Outcome;
  /** Appended to the job's errors (retry, dead, release, cancelled). */
  error?: JobError | undefined;
  /** Run again this many ms from now, by the database's clock (retry, release; default 0). */
  delayMs?: number | undefined;
  startedAt?: Date | undefined;
}

export interface JobError {
  attempt: number;
  at: string;
  message: string;
  code?: string;
  worker?: string;
  stack?: string;
}

/** The options a job can be added with (a task's options give the defaults). */
export interface AddOptions {
  /** Commit the job with the caller's rows: a client inside a transaction. */
  tx?: Queryable;
  queue?: string;
  /** Lower runs first; default the task's, else 0. */
  priority?: number;
  /** Run no earlier than this. */
  runAt?: Date;
  /** Run no earlier than this many milliseconds from now. */
  delayMs?: number;
  maxAttempts?: number;
  backoff?: BackoffSpec;
  timeoutMs?: number;
  /** While a job with this key is unfinished, adding another returns it (`deduplicated: true`). */
  dedupeKey?: string;
  /** Jobs with the same key run one at a time, in the order they were added. */
  fifoKey?: string;
}

export interface AddResult {
  id: string;
  /** True when an unfinished job with the same dedupe key was returned instead of a new one. */
  deduplicated: boolean;
}
