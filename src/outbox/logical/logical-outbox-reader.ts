import { setTimeout as sleep } from "node:timers/promises";
import { LogicalReplicationService, type Pgoutput } from "pg-logical-replication";
import type { Registry } from "prom-client";
import { createPool, type Pool } from "../../db/index.js";
import { OpskitError, toError } from "../../errors.js";
import type { Logger } from "../../log/index.js";
import { startPeriodicTask, type PeriodicTask } from "../../periodic-task.js";
import { createEmitter, type EventSource } from "../../typed-emitter.js";
import { formatLsn, parseLsn, type Lsn } from "./lsn.js";
import { PgoutputTextPlugin } from "./pgoutput-text-plugin.js";
import {
  assertLogicalReplicationAvailable,
  ensurePublication,
  ensureSlot,
  quoteTable,
  readSlot,
} from "./replication-slots.js";
import { startSlotLagGuard, type SlotLagGuard } from "./slot-lag-guard.js";

/**
 * One inserted outbox row as pgoutput sent it: every column's text, null for
 * SQL null. `payload` and `headers` are the jsonb text exactly as stored
 * (integers beyond 2^53 intact); `position` is the bigint as text.
 */
export interface LogicalOutboxRow {
  readonly id: string;
  readonly aggregatetype: string;
  readonly aggregateid: string;
  readonly type: string;
  readonly payload: string | null;
  readonly headers: string | null;
  readonly position: string;
  readonly txid: string;
  readonly created_at: string;
  readonly [column: string]: string | null;
}

/** The committed transaction a batch of rows came from. */
export interface LogicalCommit {
  /** End of its commit record: the position confirmed once `onRows` resolved. */
  lsn: string;
  xid: number;
  commitTime: Date;
}

export type FallbackReason = "lag-budget-exceeded" | "slot-missing";

export interface LogicalOutboxReaderEvents {
  /** The reader stopped for good and the caller must deliver by polling. */
  fallback: { reason: FallbackReason; slotName: string; message: string; lagBytes?: number };
  /** Something failed and is being retried (delivery, the stream); the reader goes on. */
  error: Error;
}

export interface LogicalOutboxReaderOptions {
  /** A role with REPLICATION (or superuser) on a server with wal_level=logical. */
  connectionString: string;
  /** Lower-case letters, digits and `_` (Postgres' rule for slot names). */
  slotName: string;
  publicationName: string;
  /** Default `opskit.outbox`. */
  table?: string;
  /** WAL the slot may hold back before the guard drops it and the reader falls back. */
  maxSlotLagBytes: number;
  /**
   * Receives the rows of each committed transaction, in commit order, one
   * call at a time. Its position is confirmed to the slot only after it
   * resolves; a rejection is retried (with backoff) until it resolves or
   * the reader stops. After a crash the unconfirmed transactions come
   * again: deliveries are at least once, so consumers dedupe by `id`.
   */
  onRows: (rows: LogicalOutboxRow[], commit: LogicalCommit) => Promise<void>;
  log: Pick<Logger, "info" | "warn" | "error">;
  registry?: Registry | undefined;
  /** Between guard rounds (lag read, budget check); default 5000. */
  guardIntervalMs?: number;
  /** Between standby status updates while `onRows` runs (a walsender ends a silent stream after wal_sender_timeout); default 10000. */
  statusIntervalMs?: number;
  /** How long `start()` waits for a slot still held by a dead reader's walsender; default 30000. */
  slotBusyWaitMs?: number;
  /** How long `stop()` waits for the delivery in progress to be confirmed; default 5000. */
  drainTimeoutMs?: number;
}

export interface LogicalOutboxReader extends EventSource<LogicalOutboxReaderEvents> {
  /** Checks the server, creates the publication and slot if missing, starts streaming. */
  start(): Promise<{ slotCreated: boolean; confirmedLsn: string }>;
  /** Stops streaming (the slot stays, to resume from its confirmed position); idempotent. */
  stop(): Promise<void>;
  /** The slot's lag at the guard's last round (undefined before it, or once the slot is gone). */
  lagBytes(): number | undefined;
  readonly running: boolean;
}

const NAME = /^[a-z0-9_]{1,63}$/;
const BACKOFF_MS = [100, 250, 500, 1000, 2000, 5000, 10_000, 30_000];
const backoff = (attempt: number) => BACKOFF_MS[Math.min(attempt, BACKOFF_MS.length - 1)]!;

/**
 * The outbox's optional low-latency reader: it tails `opskit.outbox`
 * through a logical replication slot (pgoutput, through the
 * `pg-logical-replication` library) and hands each committed transaction's
 * rows to `onRows`. Positions are confirmed only after delivery; the
 * slot's guard (slot-lag-guard.ts) drops the slot when its consumer falls
 * more than `maxSlotLagBytes` behind, and the reader then emits "fallback"
 * and stops: the relay delivers by polling from there.
 *
 * Deliberate differences from the library's defaults: no automatic
 * acknowledgement (it confirms every received position, delivered or
 * not, and its timer confirms the last keepalive's); flow control on, so a
 * slow `onRows` pauses the socket instead of buffering WAL in memory; and
 * values kept as text (pgoutput-text-plugin.ts).
 *
 * @example
 * const reader = createLogicalOutboxReader({
 *   connectionString, slotName: "opskit_outbox", publicationName: "opskit_outbox",
 *   maxSlotLagBytes: 1024 ** 3, log, registry,
 *   onRows: (rows) => relay.deliver(rows),
 * });
 * reader.on("fallback", ({ reason }) => relay.pollOnly(reason));
 * await reader.start();
 */
export function createLogicalOutboxReader(
  options: LogicalOutboxReaderOptions,
): LogicalOutboxReader {
  const { connectionString, slotName, publicationName, log } = options;
  for (const [what, name] of [
    ["slotName", slotName],
    ["publicationName", publicationName],
  ] as const) {
    if (!NAME.test(name)) {
      throw new OpskitError(
        "CONFIG_INVALID",
        `The outbox reader's ${what} "${name}" must be 1-63 lower-case letters, digits or _.`,
      );
    }
  }
  if (!(Number.isFinite(options.maxSlotLagBytes) && options.maxSlotLagBytes > 0)) {
    throw new OpskitError("CONFIG_INVALID", "maxSlotLagBytes must be a positive number of bytes.");
  }
  const table = options.table ?? "opskit.outbox";
  const target = quoteTable(table);
  const events = createEmitter<LogicalOutboxReaderEvents>((err, event) =>
    log.error({ err, event }, "an outbox reader listener failed"),
  );

  let state: "idle" | "running" | "stopping" = "idle";
  let pool: Pool | undefined;
  let guard: SlotLagGuard | undefined;
  let status: PeriodicTask<void> | undefined;
  let session: Session | undefined;
  let sessions: Promise<void> | undefined;
  let fellBack = false;
  /** Aborted when the reader stops: ends its waits (backoff, a hung delivery) at once. */
  let lifetime = new AbortController();
  const untilStopped = async (wait: Promise<unknown>): Promise<void> => {
    const { signal } = lifetime;
    let onAbort: (() => void) | undefined;
    try {
      await Promise.race([
        wait,
        new Promise<void>((resolve) => {
          onAbort = resolve;
          if (signal.aborted) resolve();
          else signal.addEventListener("abort", onAbort, { once: true });
        }),
      ]);
    } finally {
      if (onAbort) signal.removeEventListener("abort", onAbort);
    }
  };
  const pause = (ms: number) =>
    sleep(ms, undefined, { signal: lifetime.signal }).catch(() => undefined);

  /** One replication connection; a new one after every break. */
  interface Session {
    service: LogicalReplicationService;
    plugin: PgoutputTextPlugin;
    /** The slot's confirmed position as this reader last sent it. */
    confirmed: Lsn;
    handled: number;
    txn: { xid: number; commitTime: Date; rows: LogicalOutboxRow[] } | undefined;
    /** The newest keepalive's position and how many messages preceded it. */
    keepalive: { lsn: Lsn; upTo: number } | undefined;
    delivering: Promise<void> | undefined;
    closed: AbortController;
    ended: Promise<void>;
  }

  // The library writes `lsn + 1` as the flushed position (the physical
  // protocol's "last byte + 1"). In logical replication the position to
  // confirm is the commit's end itself, as Postgres' own subscriber sends:
  // one byte more and a transaction whose commit record starts exactly there
  // (the next commit, written right after) would be skipped after a restart.
  const sendStatus = (s: Session) => {
    if (s.confirmed <= 0n || s.closed.signal.aborted) return;
    s.service.acknowledge(formatLsn(s.confirmed - 1n)).catch((error: unknown) => {
      log.warn({ err: error, slot: slotName }, "sending the standby status update failed");
    });
  };
  const confirm = (s: Session, lsn: Lsn) => {
    if (lsn <= s.confirmed) return;
    s.confirmed = lsn;
    sendStatus(s);
  };

  // A keepalive carries the position the walsender has decoded up to. Once
  // every message sent before it has been handled and no transaction is
  // open, everything before that position is delivered: confirming it lets
  // the slot follow WAL written by other tables, so a quiet outbox in a busy
  // database does not hold WAL back.
  const advanceIdle = (s: Session): boolean => {
    const k = s.keepalive;
    if (!k || s.handled < k.upTo || s.txn || s.delivering) return false;
    s.keepalive = undefined;
    if (k.lsn <= s.confirmed) return false;
    confirm(s, k.lsn);
    return true;
  };

  const deliver = async (s: Session, rows: LogicalOutboxRow[], commit: LogicalCommit) => {
    for (let attempt = 0; ; attempt++) {
      if (s.closed.signal.aborted) return false;
      try {
        await options.onRows(rows, commit);
        return true;
      } catch (error) {
        const err = toError(error);
        log.warn(
          { err, slot: slotName, lsn: commit.lsn, rows: rows.length, attempt },
          "outbox delivery failed; retrying the same transaction",
        );
        events.emit("error", err);
        try {
          await sleep(backoff(attempt), undefined, { signal: s.closed.signal });
        } catch {
          return false;
        }
      }
    }
  };

  const handle = async (s: Session, message: Pgoutput.Message): Promise<void> => {
    s.handled++;
    if (s.closed.signal.aborted) return;
    switch (message.tag) {
      case "begin":
        s.txn = {
          xid: message.xid,
          // Microseconds since the Unix epoch (the library shifts Postgres' 2000 epoch).
          commitTime: new Date(Number((message.commitTime as unknown as bigint) / 1000n)),
          rows: [],
        };
        break;
      case "insert":
        if (
          s.txn &&
          message.relation.schema === target.schema &&
          message.relation.name === target.name
        ) {
          s.txn.rows.push(message.new as LogicalOutboxRow);
        }
        break;
      case "commit": {
        const txn = s.txn;
        const end = parseLsn(message.commitEndLsn ?? "0/0");
        if (txn && txn.rows.length > 0) {
          const commit = { lsn: formatLsn(end), xid: txn.xid, commitTime: txn.commitTime };
          const delivering = deliver(s, txn.rows, commit);
          s.delivering = delivering.then(() => undefined);
          const delivered = await delivering;
          s.delivering = undefined;
          if (!delivered) return; // stopping: not confirmed, read again next time
        }
        s.txn = undefined;
        confirm(s, end);
        break;
      }
      default:
        break;
    }
    advanceIdle(s);
  };

  const openSession = async (): Promise<Session> => {
    const slot = await readSlot(pool!, slotName);
    if (!slot) throw new SlotMissing();
    const service = new LogicalReplicationService(
      { connectionString, application_name: "opskit-outbox-logical" },
      { acknowledge: { auto: false, timeoutSeconds: 0 }, flowControl: { enabled: true } },
    );
    const plugin = new PgoutputTextPlugin(publicationName);
    const s: Session = {
      service,
      plugin,
      confirmed: parseLsn(slot.confirmedFlushLsn),
      handled: 0,
      txn: undefined,
      keepalive: undefined,
      delivering: undefined,
      closed: new AbortController(),
      ended: Promise.resolve(),
    };
    // Errors also end the subscribe() promise, which is where they are handled.
    service.on("error", () => undefined);
    service.on("data", (_lsn: string, message: Pgoutput.Message) => handle(s, message));
    service.on("heartbeat", (lsn: string, _time: number, shouldRespond: boolean) => {
      s.keepalive = { lsn: parseLsn(lsn), upTo: plugin.parsed };
      if (!advanceIdle(s) && shouldRespond) sendStatus(s);
    });
    const started = new Promise<void>((resolve) => service.once("start", () => resolve()));
    // "0/0": start at the slot's confirmed position, whatever was received before.
    s.ended = service.subscribe(plugin, slotName, "0/0").then(() => undefined);
    try {
      await Promise.race([
        started,
        s.ended.then(() => {
          throw new Error("the replication stream ended before it started");
        }),
      ]);
    } catch (error) {
      s.closed.abort();
      await service.destroy().catch(() => undefined);
      throw error;
    }
    return s;
  };

  const closeSession = async (s: Session, drain: boolean) => {
    if (drain && s.delivering) {
      await Promise.race([s.delivering, sleep(options.drainTimeoutMs ?? 5000)]);
    }
    s.closed.abort();
    await s.service.destroy().catch(() => undefined);
  };

  /** Reopens the stream after a break, from the slot's confirmed position, until stopped. */
  const keepStreaming = async (first: Session) => {
    let current: Session | undefined = first;
    for (let attempt = 0; state === "running";) {
      if (current) {
        const ended = await current.ended.then(
          () => new Error("the replication stream ended"),
          (error: unknown) => toError(error),
        );
        const inFlight = current.delivering;
        await closeSession(current, false);
        // One onRows at a time: the new stream redelivers that transaction (it was not
        // confirmed), so the call still running on the old one must end first.
        await untilStopped(inFlight ?? Promise.resolve());
        if (state !== "running") return;
        log.warn({ err: ended, slot: slotName }, "the outbox replication stream broke; reopening");
        events.emit("error", ended);
        current = undefined;
      }
      await pause(backoff(attempt++));
      if (state !== "running") return;
      try {
        current = await openSession();
        if (state !== "running") return closeSession(current, false);
        session = current;
        attempt = 0;
      } catch (error) {
        if (error instanceof SlotMissing) {
          fallBack("slot-missing", `The replication slot "${slotName}" no longer exists.`);
          return;
        }
        events.emit("error", toError(error));
      }
    }
  };

  const fallBack = (reason: FallbackReason, message: string, lagBytes?: number) => {
    if (fellBack) return;
    fellBack = true;
    state = "stopping";
    events.emit("fallback", {
      reason,
      slotName,
      message,
      ...(lagBytes === undefined ? {} : { lagBytes }),
    });
    void shutdown(false);
  };

  let stopping: Promise<void> | undefined;
  const shutdown = (drain: boolean): Promise<void> => {
    state = "stopping";
    stopping ??= release(drain).finally(() => {
      stopping = undefined;
      state = "idle";
    });
    return stopping;
  };
  const release = async (drain: boolean) => {
    lifetime.abort();
    const s = session;
    session = undefined;
    await status?.stop();
    if (s) await closeSession(s, drain);
    await guard?.stop();
    await sessions?.catch(() => undefined);
    await pool?.end().catch(() => undefined);
    pool = undefined;
    guard = undefined;
    status = undefined;
    sessions = undefined;
  };

  const openFirstSession = async (): Promise<Session> => {
    const deadline = Date.now() + (options.slotBusyWaitMs ?? 30_000);
    for (;;) {
      try {
        return await openSession();
      } catch (error) {
        // 55006: the walsender of a reader that died still holds the slot
        // until it notices its client is gone.
        if ((error as { code?: string }).code !== "55006" || Date.now() > deadline) throw error;
        await sleep(200);
      }
    }
  };

  return {
    on: (event, listener) => events.on(event, listener),
    get running() {
      return state === "running";
    },
    lagBytes: () => guard?.lagBytes(),

    async start() {
      if (state !== "idle") {
        throw new OpskitError("CONFLICT", "The outbox reader is already running; stop it first.");
      }
      state = "running";
      fellBack = false;
      lifetime = new AbortController();
      pool = createPool({
        connectionString,
        max: 2,
        applicationName: "opskit-outbox-logical-guard",
      });
      try {
        await assertLogicalReplicationAvailable(pool);
        await ensurePublication(pool, publicationName, table);
        const { created } = await ensureSlot(pool, slotName);
        guard = startSlotLagGuard({
          db: pool,
          slotName,
          maxSlotLagBytes: options.maxSlotLagBytes,
          intervalMs: options.guardIntervalMs ?? 5000,
          log,
          registry: options.registry,
          // Close the stream first: the walsender then releases the slot.
          beforeDrop: async () => {
            state = "stopping";
            const s = session;
            session = undefined;
            if (s) await closeSession(s, false);
          },
          onDropped: (lagBytes) =>
            fallBack(
              "lag-budget-exceeded",
              `The replication slot "${slotName}" held ${lagBytes} bytes of WAL, over its budget of ` +
                `${options.maxSlotLagBytes}; it was dropped.`,
              lagBytes,
            ),
          onMissing: () =>
            fallBack("slot-missing", `The replication slot "${slotName}" no longer exists.`),
        });
        const first = await openFirstSession();
        if (state !== "running") {
          // The guard's first round found the slot over its budget and dropped it.
          await closeSession(first, false);
          throw new SlotMissing();
        }
        session = first;
        status = startPeriodicTask({
          intervalMs: options.statusIntervalMs ?? 10_000,
          run: async () => {
            if (session) sendStatus(session);
            await Promise.resolve();
          },
          onError: () => undefined,
        });
        sessions = keepStreaming(first);
        log.info(
          {
            slot: slotName,
            publication: publicationName,
            created,
            confirmed: formatLsn(first.confirmed),
          },
          "the outbox logical reader is streaming",
        );
        return { slotCreated: created, confirmedLsn: formatLsn(first.confirmed) };
      } catch (error) {
        await shutdown(false);
        if (error instanceof SlotMissing) {
          throw new OpskitError(
            "CONFLICT",
            `The replication slot "${slotName}" was dropped while the reader started (over its lag budget, ` +
              `or by someone else); deliver by polling, or start again to create a new slot.`,
          );
        }
        throw error;
      }
    },

    async stop() {
      if (state === "idle") return;
      await shutdown(true);
    },
  };
}

class SlotMissing extends Error {}
