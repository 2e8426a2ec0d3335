import {
  createInboxAdmin,
  EVENT_STATUSES,
  type InboxAdmin,
  type InboxEventFilter,
  type InboxEventStatus,
} from "../../inbox/index.js";
import { parse } from "../args.js";
import { EXIT, UsageError, type Command } from "../cli-error.js";
import { databaseOptions as inboxBaseOptions, table, withCliPool } from "../command-kit.js";
import { actor, parseDate, parsePositive } from "./inbox-flags.js";

/** Runs `fn` with the inbox admin handle on the command's database. */
function withInboxAdmin<T>(
  values: { "database-url"?: string | undefined },
  fn: (inbox: InboxAdmin) => Promise<T>,
): Promise<T> {
  return withCliPool(values, (pool) => fn(createInboxAdmin(pool)));
}

const filterOptions = {
  source: { type: "string" },
  topic: { type: "string" },
  status: { type: "string" },
  since: { type: "string" },
  until: { type: "string" },
} as const;

function filterFrom(values: {
  source?: string | undefined;
  topic?: string | undefined;
  status?: string | undefined;
  since?: string | undefined;
  until?: string | undefined;
}): InboxEventFilter {
  if (values.status !== undefined && !EVENT_STATUSES.includes(values.status as InboxEventStatus)) {
    throw new UsageError(`--status must be one of ${EVENT_STATUSES.join(", ")}.`);
  }
  return {
    source: values.source,
    topic: values.topic,
    status: values.status as InboxEventStatus | undefined,
    since: parseDate(values.since, "--since"),
    until: parseDate(values.until, "--until"),
  };
}

const json = (value: unknown) => JSON.stringify(value);

export const inboxList: Command = {
  name: "inbox list",
  summary: "List webhook events (newest first), refused requests, or sources with their backlog",
  usage: `opskit inbox list [--source S] [--status pending|failed|processed|dead|rejected]
                  [--topic T] [--since ISO] [--until ISO] [--limit N] [--before ID]
                  [--rejections | --sources] [--database-url URL] [--json]

--rejections: the most recent requests refused before storage (bad signature,
stale timestamp, unknown source, too large), with the reason.
--sources: each source, whether it is paused (by whom, why), its retention,
and its events counted by status with the oldest.`,
  async run(args, io) {
    const { values } = parse(args, {
      ...inboxBaseOptions,
      ...filterOptions,
      limit: { type: "string" },
      before: { type: "string" },
      rejections: { type: "boolean" },
      sources: { type: "boolean" },
    });
    const limit = parsePositive(values.limit, "--limit") ?? 50;
    return withInboxAdmin(values, async (inbox) => {
      if (values.sources) {
        const [sources, counts] = await Promise.all([inbox.listSources(), inbox.countEvents()]);
        const rows = sources.map((s) => ({
          source: s.name,
          verifier: s.verifier,
          paused: s.paused ? `yes (${s.paused_by ?? "?"}: ${s.pause_reason ?? ""})` : "no",
          retention_days: s.retention_days,
          ...Object.fromEntries(
            EVENT_STATUSES.map((st) => [
              st,
              counts.find((c) => c.source === s.name && c.status === st)?.count ?? 0,
            ]),
          ),
        }));
        io.out(values.json ? json({ sources, counts }) : table(rows));
        return EXIT.ok;
      }
      if (values.rejections) {
        const rows = await inbox.listRejections({ source: values.source, limit });
        io.out(values.json ? json({ rejections: rows }) : table(rows));
        return EXIT.ok;
      }
      const events = await inbox.listEvents({
        ...filterFrom(values),
        limit,
        ...(values.before ? { beforeId: values.before } : {}),
      });
      if (values.json) io.out(json({ events }));
      else
        io.out(
          table(
            events.map((e) => ({
              id: e.id,
              source: e.source,
              status: e.status,
              topic: e.topic,
              dedupe_key: e.dedupe_key,
              attempts: e.attempts,
              received_at: e.received_at,
              last_error: e.last_error?.slice(0, 60) ?? e.reject_reason,
            })),
          ),
        );
      return EXIT.ok;
    });
  },
};

export const inboxShow: Command = {
  name: "inbox show",
  summary: "Show one webhook event: keys, status, attempts, last error, headers, replays",
  usage: `opskit inbox show ID [--body] [--database-url URL] [--json]

Headers are shown as stored (signatures and credentials masked). --body
prints the raw payload (JSON output always carries it as base64).`,
  async run(args, io) {
    const { values, positionals } = parse(args, { ...inboxBaseOptions, body: { type: "boolean" } });
    const id = positionals[0];
    if (!id) throw new UsageError("Give the event ID.");
    return withInboxAdmin(values, async (inbox) => {
      const event = await inbox.findEvent(id);
      if (!event) {
        io.err(`No inbox event ${id}.`);
        return EXIT.failure;
      }
      const { body, headers, ...meta } = event;
      if (values.json) {
        io.out(json({ ...meta, headers, body: body?.toString("base64") ?? null }));
        return EXIT.ok;
      }
      for (const [key, value] of Object.entries(meta)) {
        const text =
          value instanceof Date
            ? value.toISOString()
            : typeof value === "object" && value !== null
              ? JSON.stringify(value)
              : String(value ?? "-");
        io.out(`${key.padEnd(18)} ${text}`);
      }
      io.out("headers");
      for (const [name, value] of Object.entries(headers)) io.out(`  ${name}: ${value}`);
      if (values.body) io.out(body === null ? "(payload pruned)" : body.toString("utf8"));
      return EXIT.ok;
    });
  },
};

export const inboxReplay: Command = {
  name: "inbox replay",
  summary:
    "Replay one event, or every processed/dead event matching a filter (dry-run count first)",
  usage: `opskit inbox replay ID --reason WHY [--by NAME] [--database-url URL] [--json]
opskit inbox replay --source S [--topic T] [--status processed|dead] [--since ISO]
                    [--until ISO] --reason WHY [--by NAME] [--yes] [--database-url URL] [--json]

With a filter and without --yes it only counts what would be replayed (a dry
run, nothing changes). With --yes each matching event is queued for
processing again, and the replay is recorded (who, when, why, filter).
Only processed and dead events with their payload can be replayed.`,
  async run(args, io) {
    const { values, positionals } = parse(args, {
      ...inboxBaseOptions,
      ...filterOptions,
      reason: { type: "string" },
      by: { type: "string" },
      yes: { type: "boolean" },
    });
    const id = positionals[0];
    const filter = filterFrom(values);
    if (!id && !filter.source) throw new UsageError("Give an event ID, or --source and a filter.");
    const by = actor(values.by);
    const reason = values.reason ?? "";
    const dryRun = !id && !values.yes;
    if (!dryRun && !reason.trim()) throw new UsageError("--reason WHY is required to replay.");
    return withInboxAdmin(values, async (inbox) => {
      const result = id
        ? await inbox.replay(id, { by, reason })
        : await inbox.replayMany(filter, { by, reason, dryRun });
      if (values.json) io.out(json(result));
      else if (result.dryRun)
        io.out(
          `${result.count} event(s) would be replayed. Run again with --yes --reason WHY to replay them.`,
        );
      else io.out(`replayed ${result.count} event(s) (replay ${result.replayId}, by ${by})`);
      return EXIT.ok;
    });
  },
};

export const inboxPause: Command = {
  name: "inbox pause",
  summary: "Pause processing of a source: events keep landing and are acknowledged",
  usage: `opskit inbox pause SOURCE --reason WHY [--by NAME] [--database-url URL] [--json]`,
  async run(args, io) {
    const { values, positionals } = parse(args, {
      ...inboxBaseOptions,
      reason: { type: "string" },
      by: { type: "string" },
    });
    const source = positionals[0];
    if (!source) throw new UsageError("Give the SOURCE.");
    if (!values.reason?.trim()) throw new UsageError("--reason WHY is required.");
    return withInboxAdmin(values, async (inbox) => {
      const row = await inbox.pauseSource(source, {
        by: actor(values.by),
        reason: values.reason!,
      });
      io.out(
        values.json
          ? json(row)
          : `paused ${source}: events are stored and acknowledged; processing holds until 'opskit inbox resume ${source}'`,
      );
      return EXIT.ok;
    });
  },
};

export const inboxResume: Command = {
  name: "inbox resume",
  summary: "Resume a paused source: held events are processed in arrival order",
  usage: `opskit inbox resume SOURCE [--database-url URL] [--json]`,
  async run(args, io) {
    const { values, positionals } = parse(args, inboxBaseOptions);
    const source = positionals[0];
    if (!source) throw new UsageError("Give the SOURCE.");
    return withInboxAdmin(values, async (inbox) => {
      const row = await inbox.resumeSource(source);
      io.out(values.json ? json(row) : `resumed ${source}`);
      return EXIT.ok;
    });
  },
};

export const inboxPrune: Command = {
  name: "inbox prune",
  summary: "Delete payloads of finished events past their source's retention, in bounded batches",
  usage: `opskit inbox prune [--source S] [--older-than-days N] [--batch-size N]
                   [--max-batches N] [--database-url URL] [--json]

Only the raw bodies go; the event rows and their metadata stay. Events not
finished (pending, failed) keep their payload whatever their age. Without
--older-than-days each source's own retention applies (sources without one
are skipped).`,
  async run(args, io) {
    const { values } = parse(args, {
      ...inboxBaseOptions,
      source: { type: "string" },
      "older-than-days": { type: "string" },
      "batch-size": { type: "string" },
      "max-batches": { type: "string" },
    });
    const batchSize = parsePositive(values["batch-size"], "--batch-size");
    const maxBatches = parsePositive(values["max-batches"], "--max-batches");
    return withInboxAdmin(values, async (inbox) => {
      const result = await inbox.prunePayloads({
        source: values.source,
        olderThanDays: parsePositive(values["older-than-days"], "--older-than-days"),
        ...(batchSize ? { batchSize } : {}),
        ...(maxBatches ? { maxBatches } : {}),
      });
      if (values.json) io.out(json(result));
      else {
        for (const [source, n] of Object.entries(result.pruned))
          io.out(`${source}: ${n} payload(s) pruned`);
        io.out(`${result.batches} batch(es)`);
      }
      return EXIT.ok;
    });
  },
};

export const inboxCommands = [
  inboxList,
  inboxShow,
  inboxReplay,
  inboxPause,
  inboxResume,
  inboxPrune,
];
