import type { PoolClient } from "../db/index.js";
import type { OutboxEvent } from "./outbox-event.js";

/**
 * Where the relay gets committed events from. The relay owns what happens to
 * them (the sink: deliveries and their jobs); a source owns how it finds them
 * in commit order and how it remembers how far it got.
 *
 * The contract: a source calls `sink.accept(tx, rows)` inside a transaction
 * on `tx` and commits its own progress (a cursor row, or after the commit the
 * replication slot's confirmed LSN) only once that transaction commits. A
 * row given twice (a crash between the commit and a slot's acknowledgement)
 * is harmless: the sink records one delivery per (consumer, event). Rows of
 * one call are in commit order, and calls follow each other in commit order.
 *
 * Two implementations: `createPollSource` (the default, no replication slot)
 * and `createLogicalSource` (logical-source.ts: the replication reader of
 * `src/outbox/logical/` calls the sink from its `onRows`, with polling as
 * its catch-up and fallback; docs/outbox.md, "Sources").
 */
export interface OutboxSource {
  readonly name: string;
  /**
   * Reads what is there now and hands it to the sink; resolves to the number
   * of rows relayed (0 when there was nothing, or another process leads).
   */
  round(sink: OutboxSink): Promise<{ rows: number; leader: boolean; more: boolean }>;
  /** A source that also pushes rows (the logical one) starts with the relay loop… */
  start?(sink: OutboxSink, hooks: RelayHooks): Promise<void>;
  /** …and stops with it. */
  stop?(): Promise<void>;
  /** Where its rows come from now. */
  status?(): SourceStatus;
}

/** What the relay gives a pushing source. */
export interface RelayHooks {
  /** Counts rows the source handed to the sink on its own. */
  relayed(rows: number): void;
  /** Runs a relay round soon (after a switch to polling). */
  wake(): void;
}

export interface SourceStatus {
  /** `starting`: the slot exists, the poll catches up before its rows are taken. */
  mode: "poll" | "starting" | "logical";
  /** Why a logical source went back to polling for good (until a restart). */
  fallback?: string;
}

/** What a source hands rows to. */
export interface OutboxSink {
  /** Records the rows' deliveries in `tx` (idempotent per consumer and event). */
  accept(tx: PoolClient, rows: readonly OutboxEvent[]): Promise<void>;
}
