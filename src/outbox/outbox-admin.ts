import type { Queryable } from "../db/index.js";
import { OpskitError } from "../errors.js";
import type { SecretBox } from "../secrets/index.js";
import { openSecret, sealSecret } from "./endpoint-secrets.js";
import { EVENT_COLUMNS, type OutboxEvent } from "./outbox-event.js";
import { addLineJobsSql, type DeliveryJobSettings } from "./record-deliveries.js";
import { checkWebhookSecret } from "./webhook-signature.js";

export type DeliveryState = "pending" | "delivered" | "dead";
export const DELIVERY_STATES: readonly DeliveryState[] = ["pending", "delivered", "dead"];
export type EndpointState = "active" | "paused" | "disabled";

export interface OutboxDelivery {
  id: string;
  consumer: string;
  event_id: string;
  position: string;
  line: string;
  state: DeliveryState;
  attempts: number;
  last_error: string | null;
  last_status: number | null;
  latency_ms: number | null;
  created_at: Date;
  delivered_at: Date | null;
  updated_at: Date;
  type?: string;
}

/** An endpoint as operators see it: never its secrets. */
export interface OutboxEndpoint {
  name: string;
  url: string;
  event_types: string[] | null;
  state: EndpointState;
  state_reason: string | null;
  state_changed_at: Date;
  max_failures: number;
  consecutive_failures: number;
  last_success_at: Date | null;
  last_failure_at: Date | null;
  last_error: string | null;
  last_latency_ms: number | null;
  /** A rotation is in progress: deliveries are signed with both secrets. */
  rotating: boolean;
  /** Secrets stored encrypted (OPSKIT_SECRET_KEYS). */
  encrypted: boolean;
  pending: number;
}

export interface EndpointSpec {
  name: string;
  url: string;
  /** `whsec_…` (Standard Webhooks). */
  secret: string;
  /** Exact types or prefixes ending in `*`; default every type. */
  eventTypes?: string[] | null;
  /** Consecutive failed attempts before the endpoint is disabled; default 20. */
  maxFailures?: number;
}

export interface ReplayFilter {
  /** One delivery. */
  deliveryId?: string;
  /** Every delivery of one event (to `consumer` only when given). */
  eventId?: string;
  consumer?: string;
  /** Deliveries in this state (default dead). */
  state?: "dead" | "delivered";
  type?: string;
  /** Deliveries created at or after this. */
  since?: Date;
  /** At most this many; default 1000. */
  limit?: number;
}

export interface OutboxAdminOptions {
  /** Encrypts endpoint secrets (the service's OPSKIT_SECRET_KEYS). */
  box?: SecretBox | undefined;
  jobs?: Partial<DeliveryJobSettings>;
}

/** Default attempts of a handler's delivery and of an endpoint's. */
export const DEFAULT_DELIVERY_SETTINGS: DeliveryJobSettings = {
  handlerMaxAttempts: 10,
  endpointMaxAttempts: 25,
};

const NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const BIGINT = /^[1-9][0-9]{0,17}$/;

function bad(message: string): OpskitError {
  return new OpskitError("OUTBOX_EVENT_INVALID", message);
}

export function checkEndpointName(name: unknown): string {
  if (typeof name !== "string" || !NAME.test(name)) {
    throw bad("An endpoint name is 1-63 lowercase letters, digits, '.', '_' or '-'.");
  }
  return name;
}

function checkUrl(url: unknown): string {
  let parsed: URL;
  try {
    parsed = new URL(String(url));
  } catch {
    throw bad("An endpoint URL must be an absolute http(s) URL.");
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") {
    throw bad("An endpoint URL must be an absolute http(s) URL.");
  }
  if (parsed.username || parsed.password) {
    throw bad("An endpoint URL must not carry credentials; the signature authenticates.");
  }
  return parsed.toString();
}

function checkUuid(id: unknown, what: string): string {
  if (typeof id !== "string" || !UUID.test(id)) throw bad(`${what} must be a UUID.`);
  return id.toLowerCase();
}

/**
 * Everything an operator reads or does with the outbox, without a relay or
 * a worker: events, deliveries, endpoints (add, pause, resume, rotate a
 * secret), replay, lag, retention. The CLI, the console and alerts use it.
 *
 * @example
 * const admin = createOutboxAdmin(pool);
 * await admin.pauseEndpoint("crm", "CRM maintenance window");
 * await admin.replay({ consumer: "endpoint:crm", state: "dead" });
 */
export function createOutboxAdmin(db: Queryable, options: OutboxAdminOptions = {}) {
  const settings = { ...DEFAULT_DELIVERY_SETTINGS, ...options.jobs };

  async function requeueLines(consumer: string | null): Promise<number> {
    const { rows } = await db.query<{ lines: number }>(
      `with lines as (
         select consumer, line, min(position) as first from opskit.outbox_deliveries
          where state = 'pending' and ($1::text is null or consumer = $1) group by consumer, line
       )
       select (select count(*)::int from lines) as lines, ${addLineJobsSql("lines", "$2", "$3")} as jobs`,
      [consumer, settings.handlerMaxAttempts, settings.endpointMaxAttempts],
    );
    return rows[0]?.lines ?? 0;
  }

  async function endpoint(name: string): Promise<OutboxEndpoint> {
    const [found] = (await listEndpoints()).filter((e) => e.name === name);
    if (!found) throw new OpskitError("OUTBOX_NOT_FOUND", `No outbox endpoint "${name}".`);
    return found;
  }

  async function listEndpoints(): Promise<OutboxEndpoint[]> {
    const { rows } = await db.query<OutboxEndpoint>(
      `select e.name, e.url, e.event_types, e.state, e.state_reason, e.state_changed_at, e.max_failures,
              e.consecutive_failures, e.last_success_at, e.last_failure_at, e.last_error,
              e.last_latency_ms, e.previous_secret is not null as rotating,
              e.secret like 'okv1.%' as encrypted,
              (select count(*)::int from opskit.outbox_deliveries d
                where d.consumer = 'endpoint:' || e.name and d.state = 'pending') as pending
         from opskit.outbox_endpoints e order by e.name`,
    );
    return rows;
  }

  async function setState(name: string, state: EndpointState, reason: string | null) {
    const { rowCount } = await db.query(
      `update opskit.outbox_endpoints
          set state = $2, state_reason = $3, state_changed_at = now(), updated_at = now(),
              consecutive_failures = case when $2 = 'active' then 0 else consecutive_failures end
        where name = $1`,
      [checkEndpointName(name), state, reason],
    );
    if (rowCount === 0) throw new OpskitError("OUTBOX_NOT_FOUND", `No outbox endpoint "${name}".`);
  }

  return {
    /** Adds an endpoint, or changes its URL, filter and limit (keeping its secrets and state). */
    async upsertEndpoint(spec: EndpointSpec): Promise<OutboxEndpoint> {
      const name = checkEndpointName(spec.name);
      const url = checkUrl(spec.url);
      const secret = sealSecret(options.box, name, "secret", checkWebhookSecret(spec.secret));
      const types = spec.eventTypes ?? null;
      if (
        types !== null &&
        (!Array.isArray(types) || types.some((t) => typeof t !== "string" || !t))
      ) {
        throw bad("Event types must be non-empty strings.");
      }
      const max = spec.maxFailures ?? 20;
      if (!Number.isInteger(max) || max < 1 || max > 1_000_000) {
        throw bad("maxFailures must be a whole number from 1.");
      }
      await db.query(
        `insert into opskit.outbox_endpoints (name, url, event_types, secret, max_failures)
         values ($1, $2, $3, $4, $5)
         on conflict (name) do update set url = excluded.url, event_types = excluded.event_types,
           max_failures = excluded.max_failures, updated_at = now()`,
        [name, url, types, secret, max],
      );
      return endpoint(name);
    },
    listEndpoints,
    endpoint: (name: string) => endpoint(checkEndpointName(name)),
    /** Deliveries to a paused endpoint wait (nothing is lost) until it is resumed. */
    pauseEndpoint: (name: string, reason = "paused by an operator") =>
      setState(name, "paused", reason),
    /** Active again (a disabled endpoint too); its waiting lines are enqueued, in order. */
    async resumeEndpoint(name: string): Promise<{ lines: number }> {
      const consumer = `endpoint:${checkEndpointName(name)}`;
      const { rows } = await db.query<{ found: number; lines: number }>(
        `with ep as (
           update opskit.outbox_endpoints
              set state = 'active', state_reason = null, state_changed_at = now(), updated_at = now(),
                  consecutive_failures = 0
            where name = $1 returning name
         ), lines as (
           select consumer, line, min(position) as first from opskit.outbox_deliveries
            where consumer = $2 and state = 'pending' and exists (select 1 from ep)
            group by consumer, line
         )
         select (select count(*)::int from ep) as found, (select count(*)::int from lines) as lines,
                ${addLineJobsSql("lines", "$3", "$4")} as jobs`,
        [name, consumer, settings.handlerMaxAttempts, settings.endpointMaxAttempts],
      );
      if (!rows[0]?.found)
        throw new OpskitError("OUTBOX_NOT_FOUND", `No outbox endpoint "${name}".`);
      return { lines: rows[0].lines };
    },
    /** Starts a rotation: the new secret signs beside the old one until finishRotation. */
    async rotateSecret(name: string, secret: string): Promise<void> {
      checkEndpointName(name);
      checkWebhookSecret(secret);
      const { rows } = await db.query<{ secret: string }>(
        "select secret from opskit.outbox_endpoints where name = $1",
        [name],
      );
      const current = rows[0];
      if (!current) throw new OpskitError("OUTBOX_NOT_FOUND", `No outbox endpoint "${name}".`);
      // The old value keeps its envelope but moves column: re-seal it for its new place.
      const old = openSecret(options.box, name, "secret", current.secret);
      await db.query(
        `update opskit.outbox_endpoints set secret = $2, previous_secret = $3, updated_at = now()
          where name = $1`,
        [
          name,
          sealSecret(options.box, name, "secret", secret),
          sealSecret(options.box, name, "previous_secret", old),
        ],
      );
    },
    /** Ends a rotation: only the new secret signs. */
    async finishRotation(name: string): Promise<void> {
      const { rowCount } = await db.query(
        "update opskit.outbox_endpoints set previous_secret = null, updated_at = now() where name = $1",
        [checkEndpointName(name)],
      );
      if (rowCount === 0)
        throw new OpskitError("OUTBOX_NOT_FOUND", `No outbox endpoint "${name}".`);
    },
    /** Removes an endpoint; its pending deliveries become dead. */
    async removeEndpoint(name: string): Promise<void> {
      const { rowCount } = await db.query("delete from opskit.outbox_endpoints where name = $1", [
        checkEndpointName(name),
      ]);
      if (rowCount === 0)
        throw new OpskitError("OUTBOX_NOT_FOUND", `No outbox endpoint "${name}".`);
      await db.query(
        `update opskit.outbox_deliveries set state = 'dead', last_error = 'endpoint removed', updated_at = now()
          where consumer = $1 and state = 'pending'`,
        [`endpoint:${name}`],
      );
    },
    /** The newest events (optionally of one type or aggregate). */
    async listEvents(
      filter: {
        type?: string;
        aggregateType?: string;
        aggregateId?: string;
        limit?: number;
      } = {},
    ): Promise<OutboxEvent[]> {
      const limit = Math.min(Math.max(1, Math.trunc(Number(filter.limit ?? 50)) || 50), 1000);
      const { rows } = await db.query<OutboxEvent>(
        `select ${EVENT_COLUMNS} from opskit.outbox o
          where ($1::text is null or o.type = $1) and ($2::text is null or o.aggregatetype = $2)
            and ($3::text is null or o.aggregateid = $3)
          order by o.position desc limit $4`,
        [filter.type ?? null, filter.aggregateType ?? null, filter.aggregateId ?? null, limit],
      );
      return rows;
    },
    /** One event and its deliveries. */
    async showEvent(id: string): Promise<{ event: OutboxEvent; deliveries: OutboxDelivery[] }> {
      const eventId = checkUuid(id, "An event id");
      const { rows } = await db.query<OutboxEvent>(
        `select ${EVENT_COLUMNS} from opskit.outbox o where o.id = $1`,
        [eventId],
      );
      const event = rows[0];
      if (!event) throw new OpskitError("OUTBOX_NOT_FOUND", `No outbox event ${eventId}.`);
      const { rows: deliveries } = await db.query<OutboxDelivery>(
        `select id::text as id, consumer, event_id::text as event_id, position::text as position, line,
                state, attempts, last_error, last_status, latency_ms, created_at, delivered_at, updated_at
           from opskit.outbox_deliveries where event_id = $1 order by consumer`,
        [eventId],
      );
      return { event, deliveries };
    },
    /** Recent deliveries, newest change first. */
    async listDeliveries(
      filter: {
        consumer?: string;
        state?: DeliveryState;
        limit?: number;
      } = {},
    ): Promise<OutboxDelivery[]> {
      if (filter.state !== undefined && !DELIVERY_STATES.includes(filter.state)) {
        throw bad(`A delivery state is one of ${DELIVERY_STATES.join(", ")}.`);
      }
      const limit = Math.min(Math.max(1, Math.trunc(Number(filter.limit ?? 50)) || 50), 1000);
      const { rows } = await db.query<OutboxDelivery>(
        `select d.id::text as id, d.consumer, d.event_id::text as event_id, d.position::text as position,
                d.line, d.state, d.attempts, d.last_error, d.last_status, d.latency_ms, d.created_at,
                d.delivered_at, d.updated_at, o.type
           from opskit.outbox_deliveries d left join opskit.outbox o on o.id = d.event_id
          where ($1::text is null or d.consumer = $1) and ($2::text is null or d.state = $2)
          order by d.updated_at desc, d.id desc limit $3`,
        [filter.consumer ?? null, filter.state ?? null, limit],
      );
      return rows;
    },
    /**
     * Delivers again: the chosen deliveries become pending (attempts from
     * zero) and their lines are enqueued. A replayed delivery is the head of
     * its line again, before newer pending ones. Consumers see the same event
     * id again (deduplicate by it).
     */
    async replay(filter: ReplayFilter): Promise<{ deliveries: number }> {
      if (filter.deliveryId !== undefined && !BIGINT.test(String(filter.deliveryId))) {
        throw bad("A delivery id is a positive whole number.");
      }
      const eventId =
        filter.eventId === undefined ? null : checkUuid(filter.eventId, "An event id");
      const state = filter.state ?? "dead";
      if (state !== "dead" && state !== "delivered") {
        throw bad("Replay takes deliveries that are dead or delivered.");
      }
      if (filter.since !== undefined && Number.isNaN(filter.since.getTime())) {
        throw bad("since must be a valid time.");
      }
      const limit = Math.min(
        Math.max(1, Math.trunc(Number(filter.limit ?? 1000)) || 1000),
        100_000,
      );
      const { rows } = await db.query<{ n: number }>(
        `with chosen as (
           select d.id from opskit.outbox_deliveries d join opskit.outbox o on o.id = d.event_id
            where d.state <> 'pending'
              and ($1::bigint is null or d.id = $1)
              and ($2::uuid is null or d.event_id = $2)
              and ($3::text is null or d.consumer = $3)
              and (($1::bigint is not null or $2::uuid is not null) or d.state = $4)
              and ($5::text is null or o.type = $5)
              and ($6::timestamptz is null or d.created_at >= $6)
            order by d.position limit $7
         ), replayed as (
           update opskit.outbox_deliveries d
              set state = 'pending', attempts = 0, last_error = null, last_status = null,
                  delivered_at = null, updated_at = now()
             from chosen where d.id = chosen.id
           returning d.consumer, d.line, d.position
         ), lines as (
           select consumer, line, min(position) as first, count(*)::int as n from replayed
            group by consumer, line
         )
         select coalesce((select sum(n) from lines), 0)::int as n,
                ${addLineJobsSql("lines", "$8", "$9")} as jobs`,
        [
          filter.deliveryId ?? null,
          eventId,
          filter.consumer ?? null,
          state,
          filter.type ?? null,
          filter.since ?? null,
          limit,
          settings.handlerMaxAttempts,
          settings.endpointMaxAttempts,
        ],
      );
      return { deliveries: rows[0]?.n ?? 0 };
    },
    /** Counts per consumer and state. */
    async stats(): Promise<{ consumer: string; state: DeliveryState; count: number }[]> {
      const { rows } = await db.query<{ consumer: string; state: DeliveryState; count: number }>(
        `select consumer, state, count(*)::int as count from opskit.outbox_deliveries
          group by consumer, state order by consumer, state`,
      );
      return rows;
    },
    /**
     * How far behind delivery is: `relaySeconds`, the age of the oldest
     * committed event the relay has not read; `deliverySeconds`, the age of
     * the oldest event with a pending delivery (0 when none).
     */
    async lag(): Promise<{ relaySeconds: number; deliverySeconds: number; relayedTotal: number }> {
      const { rows } = await db.query<{ relay: number; delivery: number; relayed: string }>(
        `select coalesce((select extract(epoch from now() - min(o.created_at))
                   from opskit.outbox o, opskit.outbox_relay r
                  where o.txid >= coalesce(pg_snapshot_xmin(r.done_snapshot), '1'::xid8)
                    and (r.done_snapshot is null or not pg_visible_in_snapshot(o.txid, r.done_snapshot))), 0)::float8 as relay,
                coalesce((select extract(epoch from now() - min(d.created_at))
                   from opskit.outbox_deliveries d where d.state = 'pending'), 0)::float8 as delivery,
                (select relayed_total::text from opskit.outbox_relay) as relayed`,
      );
      const r = rows[0]!;
      return {
        relaySeconds: Math.max(0, r.relay),
        deliverySeconds: Math.max(0, r.delivery),
        relayedTotal: Number(r.relayed ?? 0),
      };
    },
    /**
     * Retention: deletes events older than `olderThanMs` that the relay has
     * read and that have no pending delivery, with their deliveries.
     */
    async prune(o: { olderThanMs: number; limit?: number }): Promise<{ events: number }> {
      const { rows } = await db.query<{ n: number }>(
        `with old as (
           select o.id from opskit.outbox o, opskit.outbox_relay r
            where o.created_at < now() - $1::bigint * interval '1 millisecond'
              and r.done_snapshot is not null and pg_visible_in_snapshot(o.txid, r.done_snapshot)
              and not exists (select 1 from opskit.outbox_deliveries d
                               where d.event_id = o.id and d.state = 'pending')
            order by o.position limit $2
         ), gone as (
           delete from opskit.outbox_deliveries d using old where d.event_id = old.id
         )
         , events as (delete from opskit.outbox o using old where o.id = old.id returning 1)
         select count(*)::int as n from events`,
        [Math.max(0, Math.trunc(o.olderThanMs)), o.limit ?? 10_000],
      );
      return { events: rows[0]?.n ?? 0 };
    },
    /** Enqueues every line with pending deliveries (of one consumer): after a restore, or to nudge. */
    requeue: (consumer?: string) => requeueLines(consumer ?? null),
  };
}

export type OutboxAdmin = ReturnType<typeof createOutboxAdmin>;
