import { alertsPart, alertsScreenPart, type AlertsPartOptions } from "../alerts/index.js";
import { authPart } from "../auth/index.js";
import { backupPart, type BackupPartOptions } from "../backup/index.js";
import { consolePart } from "../console/index.js";
import { healthPart } from "../health/index.js";
import { inboxParts, type ServiceInbox } from "../inbox/index.js";
import { workerPart } from "../jobs/index.js";
import { metricsPart } from "../metrics/index.js";
import { outboxParts, type ServiceOutbox } from "../outbox/index.js";
import { secretsPart } from "../secrets/index.js";
import { migrationsPart, pendingMigrationsPart } from "../migrate/index.js";
import type { Console } from "../console/index.js";
import type { ErrorReporter } from "../log/index.js";
import type { PartContext, ServicePart } from "../service-part.js";
import { appParts, type AppPartOptions } from "./app-parts.js";

/** The options the parts list is made from. */
export interface PartsOptions<C> extends AppPartOptions<C> {
  /** Webhook sources, received at `POST /webhooks/<name>` (roles api and all), processed by the worker. */
  inbox?: (ctx: PartContext<C>) => ServiceInbox | undefined;
  /** Drill checks of the scheduled backups (OPSKIT_BACKUP_DIR): invariants and smoke queries. */
  backup?: (ctx: PartContext<C>) => BackupPartOptions | undefined;
  /** The service's own parts, started after the toolkit's and before HTTP. */
  parts?: ServicePart<C>[];
  /** The transactional outbox: handlers, webhook endpoints, retention (docs/outbox.md). */
  outbox?: (ctx: PartContext<C>) => ServiceOutbox | undefined;
  /** The alerts part's options: the service's own rules, the built-in pack's overrides, notifiers. */
  alerts?: AlertsPartOptions;
  /** Where 5xx answers, dead jobs and unhandled rejections are reported besides the log (`sentryReporter`). */
  reporters?: ErrorReporter[];
}

/**
 * The parts list: the toolkit's areas and the service's own, in start order
 * (they stop in reverse; HTTP is added last by the service, so it stops
 * first). Adding an area adds its part here.
 */
export function serviceParts<C>(options: PartsOptions<C>): {
  parts: ServicePart<C>[];
  console: () => Console<string> | undefined;
} {
  const app = appParts(options);
  const inbox = inboxParts<C>((ctx) => options.inbox?.(ctx));
  const ops = consolePart({
    inboxSecretIds: () => {
      const sources = inbox.inbox()?.sources;
      return sources
        ? new Map([...sources].map(([name, s]) => [name, s.verifier.secretIds ?? []]))
        : undefined;
    },
  });
  const [inboxMain, inboxRoutes, inboxRetention] = inbox.parts as [
    ServicePart<C>,
    ServicePart<C>,
    ServicePart<C>,
  ];
  return {
    console: ops.console,
    parts: [
      migrationsPart(),
      pendingMigrationsPart(),
      metricsPart(),
      authPart(),
      secretsPart(),
      app.declaration,
      inboxMain,
      ops.part,
      inboxRoutes,
      app.routes,
      app.checks,
      healthPart(),
      workerPart(() => app.jobs() ?? {}),
      inboxRetention,
      alertsPart(options.alerts),
      alertsScreenPart(),
      ...outboxParts<C>((ctx) => options.outbox?.(ctx)),
      backupPart<C>((ctx) => options.backup?.(ctx)),
      app.workers,
      ...(options.parts ?? []),
    ],
  };
}
