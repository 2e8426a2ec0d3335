import { setTimeout as sleep } from "node:timers/promises";
import type { Registry } from "prom-client";
import { withTransaction, type Pool } from "../db/index.js";
import { OpskitError } from "../errors.js";
import type { Logger } from "../log/index.js";
import {
  createLogicalOutboxReader,
  type FallbackReason,
  type LogicalOutboxReader,
  type LogicalOutboxRow,
} from "./logical/index.js";
import { parseLsn } from "./logical/lsn.js";
import { readSlot } from "./logical/replication-slots.js";
import type { OutboxEvent } from "./outbox-event.js";
import type { OutboxSink, OutboxSource, RelayHooks, SourceStatus } from "./outbox-source.js";
import { createPollSource, OUTBOX_RELAY_LOCK_KEY } from "./poll-source.js";

/** How the relay finds committed events (`CreateOutboxOptions.relay`). */
export interface RelaySourceOptions {
  /** `poll` (default): the snapshot watermark. `logical`: a replication slot, polling as its fallback. */
  source?: "poll" | "logical";
  /** The slot (and publication); default `opskit_outbox`. Lower-case letters, digits, `_`. */
  slotName?: string;
  /** WAL the slot may hold back before its guard drops it and the relay polls; default 1 GiB. */
  maxSlotLagBytes?: number;
  /** A role with REPLICATION; default the pool's connection string. */
  connectionString?: string;
  /** Between the slot guard's rounds; default 5000. */
  guardIntervalMs?: number;
  /** After a failed start of the reader (slot held by another process, no wal_level=logical): retry after; default 30000. */
  retryMs?: number;
}

export interface LogicalSourceOptions extends RelaySourceOptions {
  pool: Pool;
  batchSize?: number;
  log: Logger;
  registry?: Registry | undefined;
}

type Candidate = { snapshot: string; wal: bigint; base: string | null };

/**
 * The relay's logical source: rows come from a logical replication slot
 * (`createLogicalOutboxReader`) and go through the same sink as polled rows,
 * each transaction's in its own database transaction, its position
 * confirmed to the slot only after that commits. The polling source stays
 * its backstop (docs/outbox.md, "Sources"):
 *
 * - Start: the reader creates the slot (or resumes it), then the poll
 *   source catches up to a snapshot taken after that, and only then are the
 *   slot's rows accepted (held until then): everything committed before the
 *   slot existed comes by polling, everything after it from the slot, in
 *   commit order either way.
 * - While streaming: every relay round moves the poll watermark (the
 *   `opskit.outbox_relay` snapshot) to a snapshot S taken a round earlier,
 *   once the slot's confirmed position has passed the WAL insert position
 *   read just after S: every transaction visible in S committed before that
 *   position, so the slot delivered it. No rows are read for this.
 * - Fallback (the guard dropped the slot over its budget, or it vanished):
 *   the relay polls from the watermark, which covers only what the slot
 *   confirmed; a few transactions may go twice (the sink ignores an event
 *   it already has), none is skipped. A restart, slot gone, makes a new
 *   slot and catches up from the same watermark.
 */
export function createLogicalSource(options: LogicalSourceOptions): OutboxSource {
  const { pool, log } = options;
  const slotName = options.slotName ?? "opskit_outbox";
  const poll = createPollSource({
    pool,
    ...(options.batchSize ? { batchSize: options.batchSize } : {}),
  });
  const connectionString =
    options.connectionString ??
    (pool as { options?: { connectionString?: string } }).options?.connectionString;
  if (!connectionString) {
    throw new OpskitError(
      "OUTBOX_CONFIG_INVALID",
      "The logical relay needs relay.connectionString (the pool has none).",
    );
  }
  const maxSlotLagBytes = options.maxSlotLagBytes ?? 1024 ** 3;
  const retryMs = options.retryMs ?? 30_000;

  let mode: SourceStatus["mode"] = "poll";
  let fallback: FallbackReason | undefined;
  let reader: LogicalOutboxReader | undefined;
  let candidate: Candidate | undefined;
  let stopped = false;
  let retry: AbortController | undefined;
  // The slot's rows wait here until the catch-up poll is done; on a stop or
  // a fallback first they are refused (not confirmed: polling covers them).
  let gate: { promise: Promise<void>; open: () => void; refuse: () => void } | undefined;
  const newGate = () => {
    let open = () => undefined as void;
    let refuse = () => undefined as void;
    const promise = new Promise<void>((resolve, reject) => {
      open = resolve;
      refuse = () => reject(new Error("the outbox relay stopped reading its slot"));
    });
    promise.catch(() => undefined);
    return { promise, open, refuse };
  };

  const toEvent = (r: LogicalOutboxRow): OutboxEvent => ({
    id: r.id,
    aggregatetype: r.aggregatetype,
    aggregateid: r.aggregateid,
    type: r.type,
    payload: r.payload === null ? null : (JSON.parse(r.payload) as unknown),
    headers: r.headers === null ? null : (JSON.parse(r.headers) as Record<string, string>),
    position: r.position,
    txid: r.txid,
    created_at: new Date(r.created_at),
  });

  /** Polls until a round that began after the slot existed has finished. */
  const catchUp = async (sink: OutboxSink, hooks: RelayHooks) => {
    // A finished round may have used a snapshot from before the slot (a
    // round left half done): the second finished round took its own.
    for (let finished = 0; finished < 2 && !stopped;) {
      const r = await poll.round(sink);
      if (r.rows > 0) hooks.relayed(r.rows);
      if (!r.leader) await sleep(50);
      else if (!r.more) finished++;
    }
  };

  const begin = async (sink: OutboxSink, hooks: RelayHooks): Promise<void> => {
    if (stopped || fallback) return;
    mode = "starting";
    const g = newGate();
    gate = g;
    const r = createLogicalOutboxReader({
      connectionString,
      slotName,
      publicationName: slotName,
      maxSlotLagBytes,
      log,
      registry: options.registry,
      slotBusyWaitMs: 0,
      ...(options.guardIntervalMs ? { guardIntervalMs: options.guardIntervalMs } : {}),
      onRows: async (rows) => {
        await g.promise;
        const events = rows.map(toEvent);
        await withTransaction(pool, (tx) => sink.accept(tx, events));
        hooks.relayed(events.length);
      },
    });
    r.on("fallback", (f) => {
      log.error(
        { slot: f.slotName, reason: f.reason, lagBytes: f.lagBytes },
        "the outbox relay falls back to polling: " + f.message,
      );
      fallback = f.reason;
      mode = "poll";
      candidate = undefined;
      g.refuse();
      hooks.wake();
    });
    r.on("error", (err) => log.warn({ err, slot: slotName }, "the outbox logical reader retries"));
    reader = r;
    try {
      await r.start();
      await catchUp(sink, hooks);
    } catch (error) {
      await r.stop().catch(() => undefined);
      reader = undefined;
      g.refuse();
      if (fallback || stopped) return;
      mode = "poll";
      // 55006: another process streams the slot (the usual case with several workers).
      const busy = (error as { code?: string }).code === "55006";
      (busy ? log.info.bind(log) : log.warn.bind(log))(
        { err: error, slot: slotName, retryMs },
        busy
          ? "the outbox slot is streamed by another process; polling meanwhile"
          : "the outbox logical reader did not start; polling meanwhile",
      );
      retry = new AbortController();
      try {
        await sleep(retryMs, undefined, { signal: retry.signal });
      } catch {
        return;
      }
      return begin(sink, hooks);
    }
    if (fallback || stopped) return;
    mode = "logical";
    g.open();
    log.info({ slot: slotName }, "the outbox relay reads from its replication slot");
  };

  /** One round while streaming: moves the poll watermark behind the slot's confirmed position. */
  const checkpoint = () =>
    withTransaction(pool, async (tx) => {
      const { rows: lock } = await tx.query<{ ok: boolean }>(
        "select pg_try_advisory_xact_lock($1::bigint) as ok",
        [OUTBOX_RELAY_LOCK_KEY.toString()],
      );
      if (!lock[0]?.ok) return { rows: 0, leader: false, more: false };
      const { rows } = await tx.query<{ done: string | null; idle: boolean }>(
        "select done_snapshot::text as done, round_snapshot is null as idle from opskit.outbox_relay where id",
      );
      const cursor = rows[0];
      if (!cursor) throw new Error("opskit.outbox_relay has no row: run the toolkit's migrations");
      let base = cursor.done;
      const c = candidate;
      if (c && cursor.idle && c.base === cursor.done) {
        const slot = await readSlot(tx, slotName);
        if (slot && parseLsn(slot.confirmedFlushLsn) >= c.wal) {
          await tx.query(
            `update opskit.outbox_relay set done_snapshot = $1::pg_snapshot, last_round_at = now(),
                    updated_at = now() where id`,
            [c.snapshot],
          );
          base = c.snapshot;
        }
      }
      if (cursor.idle) {
        // The snapshot is the statement's, taken before the WAL position is read.
        const { rows: next } = await tx.query<{ snapshot: string; wal: string }>(
          "select pg_current_snapshot()::text as snapshot, pg_current_wal_insert_lsn()::text as wal",
        );
        candidate = { snapshot: next[0]!.snapshot, wal: parseLsn(next[0]!.wal), base };
      }
      return { rows: 0, leader: true, more: false };
    });

  return {
    name: "logical",
    round(sink) {
      if (mode === "poll") return poll.round(sink);
      if (mode === "starting") return Promise.resolve({ rows: 0, leader: true, more: false });
      return checkpoint();
    },
    start(sink, hooks) {
      stopped = false;
      return begin(sink, hooks);
    },
    async stop() {
      stopped = true;
      retry?.abort();
      gate?.refuse();
      const r = reader;
      reader = undefined;
      await r?.stop();
      if (!fallback) mode = "poll";
    },
    status: () => ({ mode, ...(fallback ? { fallback } : {}) }),
  };
}
