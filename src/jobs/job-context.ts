import type { Queryable } from "../db/index.js";
import type { Logger } from "../log/index.js";
import type { Task } from "./define-task.js";
import type { AddOptions, AddResult } from "./job.js";

/** What a handler gets besides its payload. */
export interface JobContext {
  readonly id: string;
  readonly task: string;
  readonly queue: string;
  /** 1 on the first run. */
  readonly attempt: number;
  readonly maxAttempts: number;
  /**
   * Aborts on timeout, cancellation, a lost lease, or when a shutdown's budget
   * runs out; `signal.reason` is an OpskitError (JOB_TIMEOUT, JOB_CANCELLED,
   * JOB_LEASE_LOST, JOB_INTERRUPTED). Pass it on to fetch and friends.
   */
  readonly signal: AbortSignal;
  /** Logs with `job_id`, `task`, `queue` and `attempt` on every line (category jobs). */
  readonly log: Logger;
  /** The state last saved with `checkpoint()`, by this or an earlier attempt; undefined if none. */
  readonly checkpointed: unknown;
  /** For jobs enqueued by a schedule: its name and the slot this run is for. */
  readonly schedule: { name: string; slot: Date } | undefined;
  /**
   * Durably saves `state`; a retry starts with it in `checkpointed`. Give the
   * transaction that wrote the work done so far (`{ tx }`) and the two commit
   * together: a crash can then never redo or skip work between checkpoints.
   * Resolves false (and aborts the signal) when the lease was lost.
   */
  checkpoint(state: unknown, options?: { tx?: Queryable }): Promise<boolean>;
  /**
   * Adds a follow-up job to this job's queue (checked against its task's
   * schema); give `{ tx }` and it commits with your own writes.
   */
  add<P>(task: Task<P> | string, payload: P, options?: AddOptions): Promise<AddResult>;
  /** Extends this job's lease now and records a sign of life; false when the lease was lost. */
  heartbeat(): Promise<boolean>;
  /** Records progress (any number, e.g. 0..1 or items done); written coalesced. */
  progress(value: number): Promise<void>;
}
