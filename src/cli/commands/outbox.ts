import { isOpskitError } from "../../errors.js";
import {
  createOutboxAdmin,
  DELIVERY_STATES,
  type DeliveryState,
  type OutboxAdmin,
} from "../../outbox/index.js";
import { createKeyRing, createSecretBox } from "../../secrets/index.js";
import type { Pool } from "../../db/index.js";
import { parse } from "../args.js";
import { EXIT, UsageError, type Command } from "../cli-error.js";
import {
  databaseOptions as common,
  parseDurationFlag,
  print,
  table,
  withCliPool,
} from "../command-kit.js";

/** The admin handle, with endpoint secrets encrypted when OPSKIT_SECRET_KEYS is set. */
async function withAdmin<T>(
  values: { "database-url"?: string | undefined },
  fn: (admin: OutboxAdmin, pool: Pool) => Promise<T>,
): Promise<T> {
  const keys = process.env.OPSKIT_SECRET_KEYS;
  const box = keys ? createSecretBox(createKeyRing(keys)) : undefined;
  return withCliPool(values, async (pool) => {
    try {
      return await fn(createOutboxAdmin(pool, { box }), pool);
    } catch (error) {
      // Bad input is a usage error (exit 2): the message says which field.
      if (isOpskitError(error, "OUTBOX_EVENT_INVALID")) throw new UsageError(error.message);
      throw error;
    }
  });
}

function limitFlag(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^[1-9][0-9]{0,3}$/.test(text)) throw new UsageError("--limit takes 1 to 9999.");
  return Number(text);
}

export const outboxList: Command = {
  name: "outbox list",
  summary: "Recent outbox deliveries (per consumer and event), and the delivery lag",
  usage: `opskit outbox list [--state pending|delivered|dead] [--consumer handler:NAME|endpoint:NAME] [--limit N] [--database-url URL] [--json]

Exit 1 when a delivery is dead or an endpoint is disabled.`,
  async run(args, io) {
    const { values } = parse(args, {
      ...common,
      state: { type: "string" },
      consumer: { type: "string" },
      limit: { type: "string" },
    });
    if (values.state !== undefined && !DELIVERY_STATES.includes(values.state as DeliveryState)) {
      throw new UsageError(`--state must be one of ${DELIVERY_STATES.join(", ")}.`);
    }
    const limit = limitFlag(values.limit);
    const data = await withAdmin(values, async (admin) => ({
      deliveries: await admin.listDeliveries({
        ...(values.state ? { state: values.state as DeliveryState } : {}),
        ...(values.consumer ? { consumer: values.consumer } : {}),
        ...(limit ? { limit } : {}),
      }),
      stats: await admin.stats(),
      lag: await admin.lag(),
      endpoints: await admin.listEndpoints(),
    }));
    const dead = data.stats.filter((s) => s.state === "dead").reduce((n, s) => n + s.count, 0);
    const disabled = data.endpoints.filter((e) => e.state === "disabled").length;
    print(
      io,
      values.json,
      { ...data, dead, disabled },
      [
        `lag: relay ${data.lag.relaySeconds.toFixed(1)} s, delivery ${data.lag.deliverySeconds.toFixed(1)} s; dead deliveries: ${dead}; disabled endpoints: ${disabled}`,
        "",
        data.deliveries.length
          ? table(data.deliveries, [
              "id",
              "event_id",
              "type",
              "consumer",
              "state",
              "attempts",
              "last_status",
              "latency_ms",
              "updated_at",
              "last_error",
            ])
          : "no deliveries",
      ].join("\n"),
    );
    return dead > 0 || disabled > 0 ? EXIT.failure : EXIT.ok;
  },
};

export const outboxShow: Command = {
  name: "outbox show",
  summary: "One outbox event with its payload and its deliveries",
  usage: `opskit outbox show EVENT_ID [--database-url URL] [--json]`,
  async run(args, io) {
    const { values, positionals } = parse(args, common);
    if (positionals.length !== 1) throw new UsageError("Give one event id (a UUID).");
    const data = await withAdmin(values, (admin) => admin.showEvent(positionals[0]!));
    const e = data.event;
    print(
      io,
      values.json,
      data,
      [
        `${e.type} ${e.aggregatetype}:${e.aggregateid} — ${e.id} (position ${e.position}, ${e.created_at.toISOString()})`,
        JSON.stringify(e.payload),
        "",
        data.deliveries.length
          ? table(data.deliveries, [
              "id",
              "consumer",
              "state",
              "attempts",
              "last_status",
              "delivered_at",
              "last_error",
            ])
          : "no deliveries (no consumer takes this type)",
      ].join("\n"),
    );
    return EXIT.ok;
  },
};

export const outboxReplay: Command = {
  name: "outbox replay",
  summary: "Deliver again: one delivery, one event, or dead (or delivered) deliveries by filter",
  usage: `opskit outbox replay --delivery ID | --event EVENT_ID [--consumer C]
opskit outbox replay --consumer C [--state dead|delivered] [--type TYPE] [--since DURATION] [--limit N]
  [--database-url URL] [--json]

A replayed delivery is the head of its line again; consumers see the same
event id (webhook-id) again. Exit 1 when nothing matched.`,
  async run(args, io) {
    const { values } = parse(args, {
      ...common,
      delivery: { type: "string" },
      event: { type: "string" },
      consumer: { type: "string" },
      state: { type: "string" },
      type: { type: "string" },
      since: { type: "string" },
      limit: { type: "string" },
    });
    if (!values.delivery && !values.event && !values.consumer) {
      throw new UsageError("Say what to replay: --delivery ID, --event ID or --consumer C.");
    }
    if (values.state !== undefined && values.state !== "dead" && values.state !== "delivered") {
      throw new UsageError("--state must be dead or delivered.");
    }
    const since = parseDurationFlag(values.since, "--since");
    const limit = limitFlag(values.limit);
    const result = await withAdmin(values, (admin) =>
      admin.replay({
        ...(values.delivery ? { deliveryId: values.delivery } : {}),
        ...(values.event ? { eventId: values.event } : {}),
        ...(values.consumer ? { consumer: values.consumer } : {}),
        ...(values.state ? { state: values.state as "dead" | "delivered" } : {}),
        ...(values.type ? { type: values.type } : {}),
        ...(since !== undefined ? { since: new Date(Date.now() - since) } : {}),
        ...(limit ? { limit } : {}),
      }),
    );
    print(io, values.json, result, `${result.deliveries} deliveries will be sent again`);
    return result.deliveries > 0 ? EXIT.ok : EXIT.failure;
  },
};

export const outboxPause: Command = {
  name: "outbox pause",
  summary: "Pause an endpoint: its deliveries wait, in order, until it is resumed",
  usage: `opskit outbox pause ENDPOINT [--reason TEXT] [--database-url URL] [--json]`,
  async run(args, io) {
    const { values, positionals } = parse(args, { ...common, reason: { type: "string" } });
    if (positionals.length !== 1) throw new UsageError("Give one endpoint name.");
    const name = positionals[0]!;
    await withAdmin(values, (admin) =>
      admin.pauseEndpoint(name, values.reason ?? "paused with opskit outbox pause"),
    );
    print(io, values.json, { endpoint: name, state: "paused" }, `endpoint ${name} paused`);
    return EXIT.ok;
  },
};

export const outboxResume: Command = {
  name: "outbox resume",
  summary: "Resume a paused or disabled endpoint: its waiting deliveries go out in order",
  usage: `opskit outbox resume ENDPOINT [--database-url URL] [--json]`,
  async run(args, io) {
    const { values, positionals } = parse(args, common);
    if (positionals.length !== 1) throw new UsageError("Give one endpoint name.");
    const name = positionals[0]!;
    const { lines } = await withAdmin(values, (admin) => admin.resumeEndpoint(name));
    print(
      io,
      values.json,
      { endpoint: name, state: "active", lines },
      `endpoint ${name} resumed; ${lines} waiting line(s) enqueued`,
    );
    return EXIT.ok;
  },
};

export const outboxEndpoints: Command = {
  name: "outbox endpoints",
  summary: "Webhook endpoints: list, add, rotate a secret, remove",
  usage: `opskit outbox endpoints [list] [--database-url URL] [--json]
opskit outbox endpoints add NAME --url URL --secret-env VAR [--types order.*,user.created] [--max-failures N]
opskit outbox endpoints rotate NAME --secret-env VAR     sign with the new and the old secret
opskit outbox endpoints finish-rotation NAME              sign with the new secret only
opskit outbox endpoints remove NAME                       its waiting deliveries become dead

Secrets (whsec_…) are read from the environment variable VAR, never from
the command line; with OPSKIT_SECRET_KEYS set they are stored encrypted.
'list' exits 1 when an endpoint is disabled.`,
  async run(args, io) {
    const { values, positionals } = parse(args, {
      ...common,
      url: { type: "string" },
      "secret-env": { type: "string" },
      types: { type: "string" },
      "max-failures": { type: "string" },
    });
    const [verb = "list", name, ...extra] = positionals;
    if (extra.length > 0) throw new UsageError(`Unexpected arguments: ${extra.join(" ")}`);
    const secret = () => {
      const variable = values["secret-env"];
      if (!variable) throw new UsageError("Give --secret-env VAR (the variable holding whsec_…).");
      const value = process.env[variable];
      if (!value) throw new UsageError(`The environment variable ${variable} is not set.`);
      return value;
    };
    const needName = () => {
      if (!name)
        throw new UsageError(`Give the endpoint's name: opskit outbox endpoints ${verb} NAME`);
      return name;
    };
    switch (verb) {
      case "list": {
        if (name) throw new UsageError("'list' takes no name.");
        const endpoints = await withAdmin(values, (admin) => admin.listEndpoints());
        print(
          io,
          values.json,
          { endpoints },
          endpoints.length
            ? table(
                endpoints.map((e) => ({ ...e, event_types: e.event_types?.join(",") ?? "all" })),
                [
                  "name",
                  "state",
                  "url",
                  "event_types",
                  "pending",
                  "consecutive_failures",
                  "last_latency_ms",
                  "last_success_at",
                  "state_reason",
                ],
              )
            : "no endpoints",
        );
        return endpoints.some((e) => e.state === "disabled") ? EXIT.failure : EXIT.ok;
      }
      case "add": {
        const n = needName();
        if (!values.url) throw new UsageError("Give --url URL.");
        const max = values["max-failures"];
        if (max !== undefined && !/^[1-9][0-9]{0,5}$/.test(max)) {
          throw new UsageError("--max-failures takes a whole number from 1.");
        }
        const endpoint = await withAdmin(values, (admin) =>
          admin.upsertEndpoint({
            name: n,
            url: values.url!,
            secret: secret(),
            eventTypes: values.types ? values.types.split(",").map((t) => t.trim()) : null,
            ...(max ? { maxFailures: Number(max) } : {}),
          }),
        );
        print(io, values.json, { endpoint }, `endpoint ${n} saved (${endpoint.state})`);
        return EXIT.ok;
      }
      case "rotate": {
        const n = needName();
        await withAdmin(values, (admin) => admin.rotateSecret(n, secret()));
        print(
          io,
          values.json,
          { endpoint: n, rotating: true },
          `endpoint ${n}: signing with both secrets`,
        );
        return EXIT.ok;
      }
      case "finish-rotation": {
        const n = needName();
        await withAdmin(values, (admin) => admin.finishRotation(n));
        print(
          io,
          values.json,
          { endpoint: n, rotating: false },
          `endpoint ${n}: signing with the new secret only`,
        );
        return EXIT.ok;
      }
      case "remove": {
        const n = needName();
        await withAdmin(values, (admin) => admin.removeEndpoint(n));
        print(io, values.json, { endpoint: n, removed: true }, `endpoint ${n} removed`);
        return EXIT.ok;
      }
      default:
        throw new UsageError(
          `Unknown verb "${verb}": list, add, rotate, finish-rotation or remove.`,
        );
    }
  },
};

export const outboxCommands = [
  outboxList,
  outboxShow,
  outboxReplay,
  outboxPause,
  outboxResume,
  outboxEndpoints,
];
