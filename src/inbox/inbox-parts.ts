import {
  API_ROLES,
  SERVING_ROLES,
  WORKER_ROLES,
  type PartContext,
  type ServicePart,
} from "../service-part.js";
import { createInbox, type CreateInboxOptions, type Inbox } from "./create-inbox.js";
import type { Source, SourceOptions } from "./define-source.js";
import { startPayloadRetention } from "./payload-retention.js";

/** What a service declares for its webhook inbox. */
export interface ServiceInbox {
  /** Received at `POST /webhooks/<name>`; secrets from the config manifest (`v.secret`, `v.list({ secret: true })`). */
  sources: (Source | SourceOptions)[];
  storeTimeoutMs?: CreateInboxOptions["storeTimeoutMs"];
  writer?: CreateInboxOptions["writer"];
  /** How often payload retention runs on worker processes; default 1 hour. */
  retentionIntervalMs?: number;
}

/** The inbox's parts and what other parts may read of it once declared. */
export interface InboxParts<C> {
  parts: ServicePart<C>[];
  /** The inbox, once declared (undefined in role `migrate`, or when nothing was declared). */
  inbox: () => Inbox | undefined;
}

/**
 * The webhook inbox as three parts sharing one inbox: `inbox` (every serving
 * role: its processing tasks, the sources recorded for the CLI and console,
 * and in-flight writes finished at shutdown), `inbox_routes` (roles api and
 * all: `POST /webhooks/<name>`) and `inbox_retention` (roles worker and all:
 * payload retention, when a source has a retention period).
 */
export function inboxParts<C>(
  declare: (ctx: PartContext<C>) => ServiceInbox | undefined,
): InboxParts<C> {
  let inbox: Inbox | undefined;
  let spec: ServiceInbox | undefined;
  const main: ServicePart<C> = {
    name: "inbox",
    roles: SERVING_ROLES,
    declare(ctx) {
      spec = declare(ctx);
      if (!spec) return undefined;
      inbox = createInbox({
        pool: ctx.pool,
        log: ctx.log,
        registry: ctx.metrics.registry,
        sources: spec.sources,
        ...(spec.storeTimeoutMs === undefined ? {} : { storeTimeoutMs: spec.storeTimeoutMs }),
        // Off through a transaction-mode pooler, unless the service says otherwise.
        writer: { preparedStatements: ctx.preparedStatements, ...spec.writer },
      });
      return { tasks: inbox.tasks };
    },
    async start(ctx) {
      if (!inbox) return undefined;
      const started = inbox;
      // Receiving does not need the registration (the CLI and console read it):
      // role api started before role migrate logs it and goes on; readiness
      // already says migrations are pending.
      await started.register().catch((error: unknown) => {
        ctx.log
          .child({ category: "inbox" })
          .warn({ err: error }, "inbox sources not registered yet");
      });
      return () => started.close();
    },
  };
  const routes: ServicePart<C> = {
    name: "inbox_routes",
    roles: API_ROLES,
    declare: () => (inbox ? { routes: [{ path: "/", app: inbox.app }] } : undefined),
  };
  const retention: ServicePart<C> = {
    name: "inbox_retention",
    roles: WORKER_ROLES,
    start(ctx) {
      if (!inbox || ![...inbox.sources.values()].some((s) => s.retentionDays !== undefined))
        return undefined;
      const running = startPayloadRetention({
        pool: ctx.pool,
        log: ctx.log,
        ...(spec?.retentionIntervalMs === undefined
          ? {}
          : { intervalMs: spec.retentionIntervalMs }),
      });
      return () => running.stop();
    },
  };
  return { parts: [main, routes, retention], inbox: () => inbox };
}
