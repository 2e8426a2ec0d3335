import { createKeyRing, createSecretBox, type SecretBox } from "../secrets/index.js";
import { startPeriodicTask } from "../periodic-task.js";
import { API_ROLES, WORKER_ROLES, type PartContext, type ServicePart } from "../service-part.js";
import { createOutbox, type CreateOutboxOptions, type Outbox } from "./create-outbox.js";
import type { OutboxHandler } from "./define-outbox-handler.js";
import type { EndpointSpec } from "./outbox-admin.js";
import { outboxScreen } from "./outbox-screen.js";

/** What a service declares for its outbox. */
export interface ServiceOutbox extends Omit<
  CreateOutboxOptions,
  "pool" | "handlers" | "log" | "registry" | "box"
> {
  handlers?: OutboxHandler[];
  /** Endpoints upserted at start (URL, filter, secret from the config); others are managed with the CLI. */
  endpoints?: EndpointSpec[];
  /** Delivered events older than this are deleted; default 7 days. */
  retentionMs?: number;
  /** How often retention runs; default 1 hour. */
  retentionIntervalMs?: number;
}

/**
 * The outbox as two parts: `outbox` (roles worker and all: the delivery
 * task, the relay — any number of processes may run it, one relays at a
 * time — the configured endpoints, and retention) and `outbox_screen`
 * (roles api and all: the console's `/ops/outbox`). Nothing runs unless
 * the service declares an outbox. Publishing needs neither: `publishEvent(tx, …)`
 * works in every role.
 *
 * @example
 * runService({ …, outbox: (ctx) => ({ handlers: [notifyKitchen], endpoints: [{ name: "crm", url, secret }] }) })
 */
export function outboxParts<C>(
  declare: (ctx: PartContext<C>) => ServiceOutbox | undefined,
): ServicePart<C>[] {
  let outbox: Outbox | undefined;
  let spec: ServiceOutbox | undefined;
  let box: SecretBox | undefined;
  const main: ServicePart<C> = {
    name: "outbox",
    roles: WORKER_ROLES,
    declare(ctx) {
      spec = declare(ctx);
      if (!spec) return undefined;
      const keys = ctx.config.OPSKIT_SECRET_KEYS;
      box = keys ? createSecretBox(createKeyRing(keys)) : undefined;
      const { endpoints: _e, retentionMs: _r, retentionIntervalMs: _i, ...options } = spec;
      outbox = createOutbox({
        ...options,
        // A replication connection never goes through a pooler: the session URL unless given one.
        ...(options.relay?.source === "logical"
          ? { relay: { connectionString: ctx.sessionUrl, ...options.relay } }
          : {}),
        pool: ctx.pool,
        log: ctx.log,
        registry: ctx.metrics.registry,
        ...(box ? { box } : {}),
      });
      return { tasks: [...outbox.tasks] };
    },
    async start(ctx) {
      if (!outbox || !spec) return undefined;
      const log = ctx.log.child({ category: "outbox" });
      for (const endpoint of spec.endpoints ?? []) {
        await outbox.admin.upsertEndpoint(endpoint);
        log.info({ endpoint: endpoint.name }, "outbox endpoint configured");
      }
      // A direct URL (OPSKIT_DATABASE_DIRECT_URL): the relay LISTENs on a connection of its own there.
      const relay = outbox.startRelay(
        ctx.sessionUrl === ctx.databaseUrl ? {} : { listenUrl: ctx.sessionUrl },
      );
      const admin = outbox.admin;
      const retentionMs = spec.retentionMs ?? 7 * 86_400_000;
      const retention = startPeriodicTask({
        intervalMs: spec.retentionIntervalMs ?? 3_600_000,
        run: () => admin.prune({ olderThanMs: retentionMs }),
        onError: (err) => log.warn({ err }, "outbox retention failed; the next round retries"),
      });
      return async () => {
        await relay.stop();
        await retention.stop();
      };
    },
  };
  const screen: ServicePart<C> = {
    name: "outbox_screen",
    roles: API_ROLES,
    declare: (ctx) => (declare(ctx) ? { screens: [outboxScreen] } : undefined),
  };
  return [main, screen];
}
