import type { Emitter } from "../typed-emitter.js";
import type { ClaimedJob, JobError, Settlement } from "./job.js";

/** A job whose attempt's outcome was written. */
export interface JobOutcomeEvent {
  id: string;
  task: string;
  queue: string;
  /** The attempt that ended (1 for the first). */
  attempt: number;
}

/** A failed attempt, with the error it ended with. */
export interface JobFailureEvent extends JobOutcomeEvent {
  error: JobError | undefined;
}

/**
 * What a queue's workers in this process fire, each after the outcome is
 * committed (`queue.on(…)`). Another process's workers fire their own.
 */
export interface JobEvents {
  /** The handler returned: the job is finished. */
  "job.completed": JobOutcomeEvent;
  /** An attempt failed and the job will be retried (after its backoff). */
  "job.failed": JobFailureEvent;
  /** The last attempt failed: the job moved to the dead jobs. */
  "job.dead": JobFailureEvent;
}

/** The worker's side of the events: remember what ran, fire once its outcome is written. */
export interface OutcomeEvents {
  /** Keeps what the event needs of a job whose outcome is about to be queued. */
  ran(job: ClaimedJob): void;
  /** Fires the events of a written batch (fenced-out settlements fire nothing). */
  settled(batch: readonly Settlement[], applied: ReadonlyMap<string, string>): void;
}

/**
 * Nothing is kept or looped over while nobody listens: a queue running tens
 * of thousands of jobs a second pays one comparison per job. A job that ran
 * before the first listener subscribed fires nothing.
 */
export function createOutcomeEvents(events: Emitter<JobEvents>): OutcomeEvents {
  // Keyed by attempt too: a retry can be claimed and run again before this
  // process has read the reply to the statement that wrote its first outcome.
  const ran = new Map<string, ClaimedJob>();
  return {
    ran(job) {
      if (events.listening()) ran.set(`${job.id}:${job.attempts}`, job);
    },
    settled(batch, applied) {
      if (ran.size === 0) return;
      for (const s of batch) {
        const key = `${s.id}:${s.attempt}`;
        const job = ran.get(key);
        if (job === undefined) continue;
        ran.delete(key);
        const outcome = applied.get(s.id);
        const base = { id: job.id, task: job.task, queue: job.queue, attempt: job.attempts };
        if (outcome === "completed") events.emit("job.completed", base);
        else if (outcome === "retry") events.emit("job.failed", { ...base, error: s.error });
        else if (outcome === "dead") events.emit("job.dead", { ...base, error: s.error });
      }
    },
  };
}
