import type { PoolClient } from "../db/index.js";
import { OpskitError } from "../errors.js";
import type { Logger } from "../log/index.js";
import type { OutboxEvent } from "./outbox-event.js";

/** What a handler gets besides the event. */
export interface OutboxHandlerContext {
  /**
   * The transaction that marks the event delivered to this handler: write
   * your own rows with it and they commit together with the acknowledgement
   * (a crash can then neither lose nor repeat them).
   */
  tx: PoolClient;
  /** 1 on the first try. */
  attempt: number;
  /** Aborts on the job's timeout, a lost lease or shutdown. */
  signal: AbortSignal;
  log: Logger;
}

export interface OutboxHandler {
  readonly name: string;
  /** Event types handled (exact, or a prefix ending in `*`); default every type. */
  readonly types: readonly string[] | undefined;
  handle(event: OutboxEvent, ctx: OutboxHandlerContext): Promise<void> | void;
}

const NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;

/**
 * An in-process consumer of the outbox. Each event it handles is delivered
 * through the job queue (retries with backoff, dead after the attempts run
 * out, replay), one at a time per aggregate and in order, at least once:
 * deduplicate by `event.id`, or write through `ctx.tx`.
 *
 * @example
 * const notifyKitchen = defineOutboxHandler({
 *   name: "notify-kitchen",
 *   types: ["order.*"],
 *   async handle(event, ctx) {
 *     await ctx.tx.query("insert into kitchen_feed (event_id, body) values ($1, $2)", [event.id, event.payload]);
 *   },
 * });
 */
export function defineOutboxHandler(spec: {
  name: string;
  types?: readonly string[];
  handle: OutboxHandler["handle"];
}): OutboxHandler {
  if (!NAME.test(spec.name)) {
    throw new OpskitError(
      "OUTBOX_CONFIG_INVALID",
      `Outbox handler name "${spec.name}" is not valid: use 1-63 lowercase letters, digits, '.', '_' or '-'.`,
    );
  }
  if (spec.types?.some((t) => typeof t !== "string" || t === "")) {
    throw new OpskitError(
      "OUTBOX_CONFIG_INVALID",
      `Outbox handler "${spec.name}": types must be non-empty strings.`,
    );
  }
  return Object.freeze({ name: spec.name, types: spec.types, handle: spec.handle });
}

/** Whether an event type passes a filter (exact, or a prefix ending in `*`; none = all). */
export function typeMatches(filter: readonly string[] | null | undefined, type: string): boolean {
  if (!filter || filter.length === 0) return true;
  return filter.some((f) => (f.endsWith("*") ? type.startsWith(f.slice(0, -1)) : f === type));
}
