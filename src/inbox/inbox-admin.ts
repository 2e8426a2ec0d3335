import type { Queryable } from "../db/index.js";
import { countInboxFailures, type InboxFailureCounts } from "./sql/count-inbox-failures.js";
import { findInboxEventsByDedupeKey } from "./sql/find-events-by-dedupe-key.js";
import type { InboxEventFilter, InboxEventStatus } from "./sql/inbox-event-filter.js";
import {
  countInboxEvents,
  findInboxEvent,
  listInboxEvents,
  listInboxRejections,
  type InboxEventDetail,
  type InboxEventSummary,
  type InboxRejectionRow,
} from "./sql/inbox-events.js";
import {
  findInboxSource,
  listInboxSources,
  pauseInboxSource,
  resumeInboxSource,
  type InboxSourceRow,
} from "./sql/inbox-sources.js";
import {
  pruneInboxPayloads,
  type PruneOptions,
  type PruneResult,
} from "./sql/prune-inbox-payloads.js";
import { readInboxOverview, type InboxOverview } from "./sql/read-inbox-overview.js";
import {
  replayInboxEvent,
  replayInboxEvents,
  type ReplayRequest,
  type ReplayResult,
} from "./sql/replay-inbox-events.js";

export interface InboxAdmin {
  /** Events matching a filter, newest first; `beforeId` pages on. */
  listEvents(
    filter: InboxEventFilter & { limit?: number; beforeId?: string },
  ): Promise<InboxEventSummary[]>;
  /** One event with its headers, body and last replay; undefined when none. */
  findEvent(id: string): Promise<InboxEventDetail | undefined>;
  /** Events with this exact dedupe key (the provider's delivery id), any source, newest first, 50 at most. */
  findEventsByDedupeKey(dedupeKey: string): Promise<InboxEventSummary[]>;
  /** Counts by source and status, with each group's oldest arrival. */
  countEvents(): Promise<
    { source: string; status: InboxEventStatus; count: number; oldest: Date }[]
  >;
  /** The most recent refused requests, newest first. */
  listRejections(filter: {
    source?: string | undefined;
    limit?: number;
  }): Promise<InboxRejectionRow[]>;
  /** The registered sources with their pause switch, by name. */
  listSources(): Promise<InboxSourceRow[]>;
  /** One source; throws NOT_FOUND (naming the known ones) when it is not registered. */
  findSource(name: string): Promise<InboxSourceRow>;
  /** Holds processing of a source (its events are still stored and acknowledged); records who and why. */
  pauseSource(name: string, by: { by: string; reason: string }): Promise<InboxSourceRow>;
  /** Resumes a paused source: its queued events are processed in arrival order. */
  resumeSource(name: string): Promise<InboxSourceRow>;
  /** Replays one finished event (processed or dead, payload kept) through its source's queue. */
  replay(id: string, request: Omit<ReplayRequest, "batchSize">): Promise<ReplayResult>;
  /** Replays every finished event matching the filter, in batches; `dryRun` only counts. */
  replayMany(filter: InboxEventFilter, request: ReplayRequest): Promise<ReplayResult>;
  /** Deletes the payloads of finished events past their source's retention, in bounded batches. */
  prunePayloads(options?: PruneOptions): Promise<PruneResult>;
  /** The backlog and its oldest, and the last hour's deliveries and rejections (the rejection rate). */
  overview(): Promise<InboxOverview>;
  /** Per source, verification failures and failed or dead processing within the last `windowMs` (what alerts read). */
  failureCounts(windowMs: number): Promise<InboxFailureCounts[]>;
}

/**
 * Everything an operator reads or does with the webhook inbox, without the
 * service's sources or handlers loaded: what the console, the CLI and
 * alerts use.
 *
 * @example
 * const inbox = createInboxAdmin(pool);
 * await inbox.pauseSource("shopify", { by: "ada", reason: "store migration" });
 * const { count } = await inbox.replayMany({ source: "shopify", status: "dead" }, { by: "ada", reason: "fixed", dryRun: true });
 */
export function createInboxAdmin(db: Queryable): InboxAdmin {
  return {
    listEvents: (filter) => listInboxEvents(db, filter),
    findEvent: (id) => findInboxEvent(db, id),
    findEventsByDedupeKey: (key) => findInboxEventsByDedupeKey(db, key),
    countEvents: () => countInboxEvents(db),
    listRejections: (filter) => listInboxRejections(db, filter),
    listSources: () => listInboxSources(db),
    findSource: (name) => findInboxSource(db, name),
    pauseSource: (name, by) => pauseInboxSource(db, name, by),
    resumeSource: (name) => resumeInboxSource(db, name),
    replay: (id, request) => replayInboxEvent(db, id, request),
    replayMany: (filter, request) => replayInboxEvents(db, filter, request),
    prunePayloads: (options) => pruneInboxPayloads(db, options),
    overview: () => readInboxOverview(db),
    failureCounts: (windowMs) => countInboxFailures(db, windowMs),
  };
}
