import type { Pool } from "../db/index.js";
import { isDependencyFailure } from "../db/index.js";
import { createRecentKeys } from "./recent-keys.js";
import { isInboxEventStored } from "./sql/find-stored-event.js";
import {
  storeInboxEvents,
  type NewInboxEvent,
  type SourceJobSettings,
} from "./sql/store-inbox-events.js";

export interface EventWriterOptions {
  pool: Pool;
  sources: readonly SourceJobSettings[];
  /** Most events in one statement; default 64. */
  maxBatch?: number;
  /**
   * Statements in flight at once; default 2: one commits while the next
   * batch gathers, and the two commits' WAL flushes can share one. Fewer
   * statements in flight make larger batches; each statement has a fixed
   * cost (the job insert function, index updates) well above a row's.
   */
  maxConcurrent?: number;
  /** Events waiting for a statement before new ones are refused (503); default 2,000. */
  maxQueued?: number;
  /**
   * How many keys of events this writer stored or found already stored it
   * remembers; default 10,000, 0 turns it off. A delivery with a remembered
   * key (a provider's retry) is first looked up with one indexed read, not
   * queued behind the inserts; it is answered as a duplicate only when that
   * read finds the stored row, and goes through the insert otherwise.
   */
  recentKeys?: number;
  /** Named prepared statements; default true. False through a transaction-mode pooler. */
  preparedStatements?: boolean;
  /** Called with the size of each committed batch. */
  onBatch?: (size: number) => void;
}

/** What became of one write: stored with its new id, a duplicate, or refused because too many wait. */
export type WriteResult = { kind: "stored"; id: string } | { kind: "duplicate" } | { kind: "busy" };

export interface EventWriter {
  /**
   * Stores one event with its job; resolves after the commit. Rejects when
   * the database fails; resolves `busy` at once when too many events are
   * already waiting.
   */
  write(event: NewInboxEvent): Promise<WriteResult>;
  /** Events waiting or being written. */
  pending(): number;
  /** Resolves once everything accepted so far is written (or failed). */
  drain(): Promise<void>;
}

interface Waiting {
  event: NewInboxEvent;
  resolve(result: WriteResult): void;
  reject(error: unknown): void;
  /** Written on its own after its batch failed for a reason that was not the database being away. */
  alone: boolean;
}

/**
 * Group commit: while statements are in flight, arriving events wait and go
 * together in the next one, so under concurrency many requests share one
 * commit (one WAL flush) instead of each paying for its own; an event that
 * arrives when the writer is idle is written at once, alone, so a quiet
 * inbox adds no latency. Written here rather than taken from a library
 * because the batch must be the inbox's own statement (events + jobs, one
 * transaction) and no pg batching library does that.
 *
 * A batch that fails for a reason other than an unavailable database (one
 * row the server refuses) is retried row by row, so one bad event cannot
 * fail the others.
 */
export function createEventWriter(options: EventWriterOptions): EventWriter {
  const maxBatch = options.maxBatch ?? 64;
  const maxConcurrent = options.maxConcurrent ?? 2;
  const maxQueued = options.maxQueued ?? 2_000;
  const queue: Waiting[] = [];
  let inFlight = 0;
  let writing = 0;
  let checking = 0;
  const idle = new Set<() => void>();
  const recent = createRecentKeys(options.recentKeys ?? 10_000);
  const prepared = options.preparedStatements ?? true;
  const keyOf = (event: NewInboxEvent) => `${event.source}\u0000${event.dedupeKey}`;
  const isIdle = () => inFlight === 0 && queue.length === 0 && checking === 0;
  const wakeIfIdle = () => {
    if (isIdle()) for (const wake of idle) wake();
  };

  function pump(): void {
    while (inFlight < maxConcurrent && queue.length > 0) {
      const batch: Waiting[] = [];
      if (queue[0]!.alone) batch.push(queue.shift()!);
      else
        while (batch.length < maxBatch && queue.length > 0 && !queue[0]!.alone)
          batch.push(queue.shift()!);
      inFlight++;
      void flush(batch).finally(() => {
        inFlight--;
        writing -= batch.length;
        if (queue.length > 0) pump();
        else wakeIfIdle();
      });
    }
  }

  function enqueue(event: NewInboxEvent): Promise<WriteResult> {
    if (queue.length >= maxQueued) return Promise.resolve({ kind: "busy" });
    return new Promise((resolve, reject) => {
      queue.push({ event, resolve, reject, alone: false });
      writing++;
      pump();
    });
  }

  async function flush(batch: Waiting[]): Promise<void> {
    try {
      const ids = await storeInboxEvents(
        options.pool,
        batch.map((w) => w.event),
        options.sources,
        { prepared },
      );
      options.onBatch?.(batch.length);
      batch.forEach((w, i) => {
        const id = ids[i];
        recent.add(keyOf(w.event));
        w.resolve(id === undefined ? { kind: "duplicate" } : { kind: "stored", id });
      });
    } catch (error) {
      if (batch.length > 1 && !isDependencyFailure(error)) {
        // Back to the front, in their order: arrival order (and which of two same-key events wins) is kept.
        queue.unshift(...batch.map((w) => ({ ...w, alone: true })));
        writing += batch.length;
        return;
      }
      for (const w of batch) w.reject(error);
    }
  }

  return {
    async write(event) {
      if (queue.length >= maxQueued) return { kind: "busy" };
      if (recent.has(keyOf(event))) {
        checking++;
        try {
          if (await isInboxEventStored(options.pool, event.source, event.dedupeKey, { prepared }))
            return { kind: "duplicate" };
        } finally {
          checking--;
          wakeIfIdle();
        }
      }
      return enqueue(event);
    },
    pending: () => writing + checking,
    drain() {
      if (isIdle()) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const done = () => {
          idle.delete(done);
          resolve();
        };
        idle.add(done);
      });
    },
  };
}
