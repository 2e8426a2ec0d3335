import { randomUUID } from "node:crypto";
import { OpskitError } from "../errors.js";

/** What a caller publishes. */
export interface OutboxEventInput {
  /** The kind of thing the event is about (`order`); Debezium's `aggregatetype` (its topic). */
  aggregateType: string;
  /** Which one (`"1042"`); its events are delivered in order, one at a time. Debezium's key. */
  aggregateId: string | number;
  /** What happened (`order.created`). */
  type: string;
  /** Any JSON value; Debezium's `payload`. */
  payload?: unknown;
  /** Extra metadata (string values), carried beside the payload. */
  headers?: Record<string, string>;
  /** A stable id for consumers to deduplicate by; default a random UUID. */
  id?: string;
}

/** One stored event, as the relay and consumers see it. */
export interface OutboxEvent {
  id: string;
  aggregatetype: string;
  aggregateid: string;
  type: string;
  payload: unknown;
  headers: Record<string, string> | null;
  /** Order of the event among all events (per aggregate: the order its writers wrote them). */
  position: string;
  /** The writing transaction's id (xid8, as text). */
  txid: string;
  created_at: Date;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_TEXT = 200;

function text(field: string, value: unknown): string {
  const s = typeof value === "number" && Number.isFinite(value) ? String(value) : value;
  if (typeof s !== "string" || s.trim() === "" || s.length > MAX_TEXT || s.includes("\u0000")) {
    throw new OpskitError(
      "OUTBOX_EVENT_INVALID",
      `The event's ${field} must be a non-empty string of at most ${MAX_TEXT} characters.`,
    );
  }
  return s;
}

/** The row an input becomes; throws OUTBOX_EVENT_INVALID naming the first bad field. */
export function eventRow(input: OutboxEventInput): {
  id: string;
  aggregatetype: string;
  aggregateid: string;
  type: string;
  payload: string | null;
  headers: string | null;
} {
  if (typeof input !== "object" || input === null) {
    throw new OpskitError("OUTBOX_EVENT_INVALID", "An event must be an object.");
  }
  const id = input.id ?? randomUUID();
  if (typeof id !== "string" || !UUID.test(id)) {
    throw new OpskitError("OUTBOX_EVENT_INVALID", "The event's id must be a UUID.");
  }
  let payload: string | null = null;
  if (input.payload !== undefined) {
    try {
      payload = JSON.stringify(input.payload) ?? null;
    } catch (cause) {
      throw new OpskitError(
        "OUTBOX_EVENT_INVALID",
        "The event's payload is not JSON-serialisable.",
        {
          cause,
        },
      );
    }
    if (payload === null) {
      throw new OpskitError("OUTBOX_EVENT_INVALID", "The event's payload is not a JSON value.");
    }
  }
  let headers: string | null = null;
  if (input.headers !== undefined) {
    const h = input.headers as unknown;
    if (
      typeof h !== "object" ||
      h === null ||
      Array.isArray(h) ||
      !Object.values(h).every((v) => typeof v === "string")
    ) {
      throw new OpskitError(
        "OUTBOX_EVENT_INVALID",
        "The event's headers must map names to strings.",
      );
    }
    headers = JSON.stringify(h);
  }
  return {
    id: id.toLowerCase(),
    aggregatetype: text("aggregateType", input.aggregateType),
    aggregateid: text("aggregateId", input.aggregateId),
    type: text("type", input.type),
    payload,
    headers,
  };
}

/** The columns every reader selects (ids and positions as text: bigint and xid8 exceed a JS number). */
export const EVENT_COLUMNS = `o.id::text as id, o.aggregatetype, o.aggregateid, o.type, o.payload, o.headers,
  o.position::text as position, o.txid::text as txid, o.created_at`;
