import type { Registry } from "prom-client";
import type { Pool, Queryable } from "../db/index.js";
import { OpskitError } from "../errors.js";
import { DEFAULT_BACKOFF, listenForNotifications, type Backoff, type Task } from "../jobs/index.js";
import type { NotificationListener } from "../jobs/index.js";
import { createLogger, type Logger } from "../log/index.js";
import { startPeriodicTask } from "../periodic-task.js";
import type { SecretBox } from "../secrets/index.js";
import type { OutboxHandler } from "./define-outbox-handler.js";
import { deliverTask } from "./deliver-task.js";
import { createOutboxAdmin, DEFAULT_DELIVERY_SETTINGS, type OutboxAdmin } from "./outbox-admin.js";
import type { OutboxEventInput } from "./outbox-event.js";
import { createOutboxMetrics } from "./outbox-metrics.js";
import type { OutboxSource, SourceStatus } from "./outbox-source.js";
import { createLogicalSource, type RelaySourceOptions } from "./logical-source.js";
import { createPollSource } from "./poll-source.js";
import { publishEvent, publishEvents } from "./publish-event.js";
import { createDeliverySink } from "./record-deliveries.js";

export interface CreateOutboxOptions {
  pool: Pool;
  /** In-process consumers (`defineOutboxHandler`). */
  handlers?: OutboxHandler[];
  log?: Logger;
  /** Registers the outbox's metrics here (a service's `metrics.registry`). */
  registry?: Registry;
  /** Encrypts endpoint secrets at rest (the service's OPSKIT_SECRET_KEYS). */
  box?: SecretBox;
  /** Where committed events come from; default per `relay` (polling unless it says logical). */
  source?: OutboxSource;
  /**
   * The built-in sources: `{ source: "poll" }` (default) or `{ source:
   * "logical", slotName, maxSlotLagBytes }` (a replication slot, polling as
   * catch-up and fallback; needs wal_level=logical and a REPLICATION role).
   */
  relay?: RelaySourceOptions;
  /** Rows per relay transaction (polling source); default 500. */
  batchSize?: number;
  /** The relay's polling backstop; default 1 s (NOTIFY wakes it sooner). */
  pollIntervalMs?: number;
  /** Attempts of a handler's delivery before it is dead; default 10. */
  handlerMaxAttempts?: number;
  /** Attempts of an endpoint's delivery before it is dead; default 25. */
  endpointMaxAttempts?: number;
  /** Delay between attempts; default the job queue's (exponential 1 s … 1 h, jitter). */
  backoff?: Backoff;
  /** Per webhook request; default 10 s. */
  webhookTimeoutMs?: number;
}

export interface Relay {
  /** Runs a round now (or joins the one in flight, then runs again). */
  wake(): void;
  /** Where rows come from now (`logical` streams; `poll` also after a fallback). */
  status(): SourceStatus & { source: string };
  stop(): Promise<void>;
}

export interface Outbox {
  /** Publishes in the caller's transaction (see publishEvents). */
  publish(tx: Queryable, event: OutboxEventInput): Promise<string>;
  publishMany(tx: Queryable, events: readonly OutboxEventInput[]): Promise<{ ids: string[] }>;
  /** The delivery task: give it to the job queue (`createQueue({ tasks: [...outbox.tasks] })`). */
  readonly tasks: Task<{ consumer: string; line: string }>[];
  readonly handlers: ReadonlyMap<string, OutboxHandler>;
  readonly admin: OutboxAdmin;
  /** Relays until nothing is left (one source round after another); resolves to the rows relayed. */
  relayOnce(): Promise<number>;
  /**
   * Starts the relay loop: woken by NOTIFY on its own connection (when
   * `listen` is given a pool to hold one on) and every `pollIntervalMs`.
   * Any number of processes may run it: one relays at a time. `listenUrl`:
   * LISTEN on a connection of its own to this URL (a direct one, when the
   * pool goes through a transaction-mode pooler) instead of a pool connection.
   */
  startRelay(options?: { listen?: boolean; listenUrl?: string }): Relay;
}

/**
 * The transactional outbox: publish events with your own writes; a relay
 * reads them in commit order and hands each to every consumer (in-process
 * handlers and webhook endpoints) through the job queue, in order per
 * aggregate, at least once.
 *
 * @example
 * const outbox = createOutbox({ pool, handlers: [notifyKitchen] });
 * const queue = createQueue({ pool, tasks: [...outbox.tasks] });
 * await withTransaction(pool, async (tx) => {
 *   await tx.query("insert into orders …");
 *   await outbox.publish(tx, { aggregateType: "order", aggregateId: id, type: "order.created", payload });
 * });
 * const relay = outbox.startRelay();
 * const worker = queue.work();
 */
export function createOutbox(options: CreateOutboxOptions): Outbox {
  const pool = options.pool;
  const log = (options.log ?? createLogger({ level: "silent" })).child({ category: "outbox" });
  const handlers = new Map<string, OutboxHandler>();
  for (const h of options.handlers ?? []) {
    if (handlers.has(h.name)) {
      throw new OpskitError("OUTBOX_CONFIG_INVALID", `Two outbox handlers are named "${h.name}".`);
    }
    handlers.set(h.name, h);
  }
  const settings = {
    handlerMaxAttempts: options.handlerMaxAttempts ?? DEFAULT_DELIVERY_SETTINGS.handlerMaxAttempts,
    endpointMaxAttempts:
      options.endpointMaxAttempts ?? DEFAULT_DELIVERY_SETTINGS.endpointMaxAttempts,
  };
  for (const [k, v] of Object.entries(settings)) {
    if (!Number.isInteger(v) || v < 1) {
      throw new OpskitError("OUTBOX_CONFIG_INVALID", `${k} must be a whole number from 1.`);
    }
  }
  const metrics = createOutboxMetrics(options.registry, pool);
  const batch = options.batchSize ? { batchSize: options.batchSize } : {};
  const source =
    options.source ??
    (options.relay?.source === "logical"
      ? createLogicalSource({ ...options.relay, pool, log, registry: options.registry, ...batch })
      : createPollSource({ pool, ...batch }));
  const sink = createDeliverySink([...handlers.values()], settings);
  const admin = createOutboxAdmin(pool, { box: options.box, jobs: settings });
  const task = deliverTask({
    pool,
    handlers,
    box: options.box,
    metrics,
    ...settings,
    backoff: options.backoff ?? DEFAULT_BACKOFF,
    webhookTimeoutMs: options.webhookTimeoutMs ?? 10_000,
  });

  let again = false;
  const relayOnce = async (): Promise<number> => {
    let total = 0;
    for (;;) {
      again = false;
      const r = await source.round(sink);
      total += r.rows;
      if (r.rows > 0) metrics.published(r.rows);
      if (!r.leader || !(r.more || r.rows > 0 || again)) return total;
    }
  };

  return {
    publish: publishEvent,
    publishMany: publishEvents,
    tasks: [task],
    handlers,
    admin,
    relayOnce,
    startRelay(o = {}) {
      const loop = startPeriodicTask({
        intervalMs: options.pollIntervalMs ?? 1_000,
        immediate: true,
        run: relayOnce,
        onError: (err) => log.warn({ err }, "an outbox relay round failed; the next one retries"),
      });
      const wake = () => {
        again = true;
        loop.runNow().catch((err: unknown) => log.warn({ err }, "an outbox relay round failed"));
      };
      const started = source.start?.(sink, {
        relayed: (rows) => metrics.published(rows),
        wake,
      });
      started?.catch((err: unknown) =>
        log.warn({ err }, "the outbox relay's source did not start"),
      );
      let listener: NotificationListener | undefined;
      if (o.listen ?? true) {
        listener = listenForNotifications({
          pool,
          url: o.listenUrl,
          applicationName: "opskit-outbox-listener",
          channels: ["opskit_outbox"],
          onNotification: wake,
          log,
        });
      }
      return {
        wake,
        status: () => ({ source: source.name, ...(source.status?.() ?? { mode: "poll" }) }),
        async stop() {
          await listener?.close();
          await source.stop?.();
          await started?.catch(() => undefined);
          await loop.stop();
        },
      };
    },
  };
}
