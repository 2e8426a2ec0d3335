import { Counter, Gauge, type Registry } from "prom-client";
import type { Queryable } from "../../db/index.js";
import type { Logger } from "../../log/index.js";
import { startPeriodicTask } from "../../periodic-task.js";
import { dropSlot, readSlot } from "./replication-slots.js";

export const SLOT_LAG_METRIC = "opskit_outbox_slot_lag_bytes";
export const SLOT_DROPPED_METRIC = "opskit_outbox_slot_dropped_total";

/** What one round of the guard saw and did. */
export type SlotLagCheck =
  | { slot: "missing" }
  | { slot: "within-budget"; lagBytes: number }
  | { slot: "dropped"; lagBytes: number };

export interface SlotLagGuardOptions {
  /** An ordinary connection or pool to the slot's database (the role needs REPLICATION to drop it). */
  db: Queryable;
  slotName: string;
  /** WAL the slot may hold back (`pg_current_wal_lsn() - confirmed_flush_lsn`) before it is dropped. */
  maxSlotLagBytes: number;
  /** Between rounds; default 5000. */
  intervalMs?: number;
  log: Pick<Logger, "info" | "warn" | "error">;
  /** Receives the lag gauge and the drop counter. */
  registry?: Registry | undefined;
  /** Runs before the drop (the reader closes its own stream there); a failure does not stop the drop. */
  beforeDrop?: (lagBytes: number) => Promise<void>;
  /** The slot was dropped for its lag: the consumer must fall back to polling. */
  onDropped?: (lagBytes: number) => void;
  /** The slot is gone (dropped by someone else). */
  onMissing?: () => void;
}

export interface SlotLagGuard {
  /** One round now (or the one in progress). */
  check(): Promise<SlotLagCheck>;
  /** The lag the last round read; undefined before the first round or once the slot is gone. */
  lagBytes(): number | undefined;
  /** Stops the rounds and waits for one in progress; idempotent. */
  stop(): Promise<void>;
}

/**
 * The guard every logical slot needs: a slot holds back every WAL segment
 * after its confirmed position, so a consumer that stops (crashed, hung,
 * or never restarted) would fill the disk. Each round reads the slot's lag
 * into `opskit_outbox_slot_lag_bytes{slot}`; past `maxSlotLagBytes` it ends
 * the walsender streaming the slot, drops the slot and counts
 * `opskit_outbox_slot_dropped_total{slot}`, and the consumer falls back to
 * polling. It needs no reader: the relay's polling side can run it for a
 * slot whose reader is not running.
 *
 * @example
 * const guard = startSlotLagGuard({
 *   db: pool, slotName: "opskit_outbox", maxSlotLagBytes: 1 << 30, log, registry,
 *   onDropped: (lag) => log.error({ lag }, "outbox slot dropped; polling only"),
 * });
 * await guard.stop();
 */
export function startSlotLagGuard(options: SlotLagGuardOptions): SlotLagGuard {
  const { db, slotName, maxSlotLagBytes, log } = options;
  const { gauge, dropped } = slotMetrics(options.registry);
  let last: number | undefined;
  let finished = false;

  const round = async (): Promise<SlotLagCheck> => {
    if (finished) return { slot: "missing" };
    const state = await readSlot(db, slotName);
    if (!state) {
      last = undefined;
      gauge?.remove({ slot: slotName });
      finished = true;
      options.onMissing?.();
      return { slot: "missing" };
    }
    last = state.lagBytes;
    gauge?.set({ slot: slotName }, state.lagBytes);
    if (state.lagBytes <= maxSlotLagBytes)
      return { slot: "within-budget", lagBytes: state.lagBytes };

    log.error(
      { slot: slotName, lagBytes: state.lagBytes, maxSlotLagBytes },
      "the outbox replication slot is over its lag budget: dropping it; the relay falls back to polling",
    );
    try {
      await options.beforeDrop?.(state.lagBytes);
    } catch (error) {
      log.warn({ err: error, slot: slotName }, "closing the reader before the slot drop failed");
    }
    await dropSlot(db, slotName);
    finished = true;
    last = undefined;
    gauge?.remove({ slot: slotName });
    dropped?.inc({ slot: slotName });
    options.onDropped?.(state.lagBytes);
    return { slot: "dropped", lagBytes: state.lagBytes };
  };

  const task = startPeriodicTask({
    intervalMs: options.intervalMs ?? 5000,
    immediate: true,
    run: round,
    onError: (error) =>
      log.warn(
        { err: error, slot: slotName },
        "the outbox slot guard round failed; the next retries",
      ),
  });
  return { check: task.runNow, lagBytes: () => last, stop: task.stop };
}

/** The guard's metrics in `registry`, shared by every guard of the process. */
function slotMetrics(registry: Registry | undefined): {
  gauge: Gauge<"slot"> | undefined;
  dropped: Counter<"slot"> | undefined;
} {
  if (!registry) return { gauge: undefined, dropped: undefined };
  const gauge =
    (registry.getSingleMetric(SLOT_LAG_METRIC) as Gauge<"slot"> | undefined) ??
    new Gauge({
      name: SLOT_LAG_METRIC,
      help: "WAL the outbox's logical replication slot holds back (current WAL position minus its confirmed position).",
      labelNames: ["slot"],
      registers: [registry],
    });
  const dropped =
    (registry.getSingleMetric(SLOT_DROPPED_METRIC) as Counter<"slot"> | undefined) ??
    new Counter({
      name: SLOT_DROPPED_METRIC,
      help: "Outbox replication slots dropped by the guard for exceeding their lag budget.",
      labelNames: ["slot"],
      registers: [registry],
    });
  return { gauge, dropped };
}
