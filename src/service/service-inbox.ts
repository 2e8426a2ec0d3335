import type { Pool } from "../db/index.js";
import {
  createInbox,
  startPayloadRetention,
  type CreateInboxOptions,
  type Inbox,
  type Source,
  type SourceOptions,
} from "../inbox/index.js";
import type { Logger } from "../log/index.js";
import type { Metrics } from "../metrics/index.js";
import type { ServiceJobs } from "./service-jobs.js";

/** What a service declares for its webhook inbox. */
export interface ServiceInbox {
  /** Received at `POST /webhooks/<name>`; secrets from the config manifest (`v.secret`, `v.list({ secret: true })`). */
  sources: (Source | SourceOptions)[];
  storeTimeoutMs?: CreateInboxOptions["storeTimeoutMs"];
  writer?: CreateInboxOptions["writer"];
  /** How often payload retention runs on worker processes; default 1 hour. */
  retentionIntervalMs?: number;
}

/** The service's inbox, its metrics on the service's registry. */
export function createServiceInbox(
  deps: { pool: Pool; log: Logger; metrics: Metrics },
  declared: ServiceInbox | undefined,
): Inbox | undefined {
  if (!declared) return undefined;
  return createInbox({
    pool: deps.pool,
    log: deps.log,
    registry: deps.metrics.registry,
    sources: declared.sources,
    ...(declared.storeTimeoutMs === undefined ? {} : { storeTimeoutMs: declared.storeTimeoutMs }),
    ...(declared.writer === undefined ? {} : { writer: declared.writer }),
  });
}

/** The service's job declarations with the inbox's processing tasks added. */
export function withInboxTasks(
  jobs: ServiceJobs | undefined,
  inbox: Inbox | undefined,
): ServiceJobs | undefined {
  if (!inbox) return jobs;
  return { ...jobs, tasks: [...(jobs?.tasks ?? []), ...inbox.tasks] };
}

/**
 * Records the sources for the CLI and console. A failure (the inbox's
 * migration not applied yet, for role api started before role migrate) is
 * logged, not fatal: receiving does not need it, and readiness already says
 * migrations are pending.
 */
export async function registerServiceInbox(inbox: Inbox, log: Logger): Promise<void> {
  try {
    await inbox.register();
  } catch (error) {
    log.child({ category: "inbox" }).warn({ err: error }, "inbox sources not registered yet");
  }
}

/** Starts payload retention on worker processes when a source has a retention period. */
export function startServiceRetention(
  deps: { pool: Pool; log: Logger },
  inbox: Inbox,
  declared: ServiceInbox,
): (() => Promise<void>) | undefined {
  if (![...inbox.sources.values()].some((s) => s.retentionDays !== undefined)) return undefined;
  const retention = startPayloadRetention({
    pool: deps.pool,
    log: deps.log,
    ...(declared.retentionIntervalMs === undefined
      ? {}
      : { intervalMs: declared.retentionIntervalMs }),
  });
  return () => retention.stop();
}
