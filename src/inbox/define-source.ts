import type { PoolClient } from "../db/index.js";
import { OpskitError } from "../errors.js";
import type { Backoff, JobContext } from "../jobs/index.js";
import type { Logger } from "../log/index.js";
import type { KeyRule, Verifier } from "./verifier.js";

/** A stored event as its handler receives it. */
export interface InboxEvent {
  id: string;
  source: string;
  dedupeKey: string;
  topic: string | null;
  orderingKey: string | null;
  /** Stored headers (signatures and credentials masked). */
  headers: Record<string, string>;
  /** The raw bytes as received. */
  body: Buffer;
  /**
   * The parsed body when it is JSON; undefined otherwise. Its numbers are
   * doubles: an id above 2^53 is not exact here; read it with
   * `jsonKeyText(event.body, "id")`, which returns its exact digits.
   */
  json: unknown;
  receivedAt: Date;
  /** 1 on the first processing attempt (of the current run: a replay starts again at 1). */
  attempt: number;
}

export interface InboxHandlerContext {
  /**
   * The transaction that marks the event processed: write your rows (and
   * enqueue follow-up jobs with `{ tx }`) here and they commit together, so a
   * crash never leaves an event half-processed or processed twice.
   */
  tx: PoolClient;
  job: JobContext;
  log: Logger;
}

export type InboxHandler = (event: InboxEvent, ctx: InboxHandlerContext) => Promise<void> | void;

export interface SourceOptions {
  /** The path segment: `/webhooks/<name>`. Letters, digits, `-` and `_`, up to 64. */
  name: string;
  verifier: Verifier;
  /** Processes one event; a throw fails the attempt (retried with backoff, dead after maxAttempts). */
  handler: InboxHandler;
  /** Default: the verifier's (the provider's delivery id). */
  dedupeKey?: KeyRule;
  /** Default: the verifier's. */
  topic?: KeyRule;
  /** Events with the same key are processed one at a time, in arrival order. Default: none. */
  orderingKey?: KeyRule;
  /** Refuse bodies that are not JSON (stored as rejected). Default: the verifier's. */
  json?: boolean;
  /** Largest body accepted; larger gets 413 before any hashing. Default 1 MiB. */
  maxBodyBytes?: number;
  /** Payloads of finished events are deleted after this many days (metadata kept). Default: kept. */
  retentionDays?: number;
  /** Processing attempts before the event is dead; default 10. */
  maxAttempts?: number;
  /** Delay between attempts; default the queue's (exponential, 1 s to 1 h, jitter). */
  backoff?: Backoff;
}

/** A validated source with every default filled in. */
export interface Source extends Required<
  Omit<SourceOptions, "topic" | "orderingKey" | "retentionDays" | "backoff">
> {
  topic: KeyRule | undefined;
  orderingKey: KeyRule | undefined;
  retentionDays: number | undefined;
  backoff: Backoff | undefined;
  /** The job task and queue of this source's processing: `inbox.<name>`. */
  queue: string;
}

const NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/i;
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/**
 * Declares a webhook source: where it is received (`/webhooks/<name>`), how
 * it is verified, and what processes its events.
 *
 * @example
 * const github = defineSource({
 *   name: "github",
 *   verifier: githubVerifier({ secrets: [config.GITHUB_WEBHOOK_SECRET] }),
 *   orderingKey: { json: "repository.full_name" },
 *   handler: async (event, { tx }) => { await tx.query("insert into pushes …", [event.json]); },
 * });
 */
export function defineSource(options: SourceOptions): Source {
  const problem = (text: string) =>
    new OpskitError("INBOX_CONFIG_INVALID", `Inbox source "${options.name}": ${text}`);
  if (!NAME.test(options.name)) {
    throw problem(
      "the name must be 1-64 letters, digits, '-' or '_', starting with a letter or digit.",
    );
  }
  const positive = (value: number | undefined, what: string) => {
    if (value !== undefined && !(Number.isInteger(value) && value >= 1)) {
      throw problem(`${what} must be a whole number of at least 1.`);
    }
  };
  positive(options.maxBodyBytes, "maxBodyBytes");
  positive(options.retentionDays, "retentionDays");
  positive(options.maxAttempts, "maxAttempts");
  for (const [what, rule] of [
    ["dedupeKey", options.dedupeKey],
    ["topic", options.topic],
    ["orderingKey", options.orderingKey],
  ] as const) {
    if (rule === undefined) continue;
    const text = "header" in rule ? rule.header : rule.json;
    if (typeof text !== "string" || !/^[A-Za-z0-9_.-]+$/.test(text)) {
      throw problem(`${what} must name a header or a dotted JSON path.`);
    }
  }
  return Object.freeze({
    name: options.name,
    verifier: options.verifier,
    handler: options.handler,
    dedupeKey: options.dedupeKey ?? options.verifier.dedupeKey,
    topic: options.topic ?? options.verifier.topic,
    orderingKey: options.orderingKey,
    json: options.json ?? options.verifier.json,
    maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    retentionDays: options.retentionDays,
    maxAttempts: options.maxAttempts ?? 10,
    backoff: options.backoff,
    queue: `inbox.${options.name}`,
  });
}
