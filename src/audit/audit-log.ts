import type { Queryable } from "../db/index.js";

/** The audit table: in the toolkit's fixed schema (docs/architecture.md). */
const TABLE = "opskit.audit_log";

/**
 * Creates `opskit.audit_log` and brings an older one up to date. The
 * migration runner runs it in its bootstrap (before any migration: the
 * runner audits what it does to itself), so it stays idempotent:
 * `create … if not exists`, `add column if not exists`.
 *
 * - `request_key`: set by actions that must not run twice when resubmitted
 *   (the console's bulk actions); unique, so a second submission finds the
 *   first one's row instead of acting again.
 */
export function createAuditLogSql(): string {
  const table = TABLE;
  return `
    create table if not exists ${table} (
      id bigserial primary key,
      at timestamptz not null default now(),
      actor text not null,
      action text not null,
      target text,
      params jsonb not null default '{}',
      result text not null
    );
    create index if not exists audit_log_at_idx on ${table} (at desc);
    alter table ${table} add column if not exists request_key text;
    alter table ${table} add column if not exists request_id text;
    create unique index if not exists audit_log_request_key_idx on ${table} (request_key)
      where request_key is not null;`;
}

export interface AuditEntry {
  actor: string;
  /** Dotted verb: `migrate.accept_checksum`, `jobs.retry`, `console.login`. */
  action: string;
  target?: string | undefined;
  params?: Record<string, unknown> | undefined;
  /** What happened: `ok`, `denied`, `error: …`, a count. */
  result: string;
  /** The HTTP request that did it, to join with the log lines. */
  requestId?: string | undefined;
  /** Unique per resubmittable request (see `claimAuditKey`). */
  requestKey?: string | undefined;
}

export interface AuditRow {
  id: string;
  at: Date;
  actor: string;
  action: string;
  target: string | null;
  params: Record<string, unknown>;
  result: string;
  request_id: string | null;
  request_key: string | null;
}

/**
 * Appends one row to the audit log; with a client inside a transaction the
 * row commits (or rolls back) with the caller's change. Returns its id.
 *
 * @example
 * await recordAudit(pool, { actor: "ada", action: "jobs.retry", target: "job 42", result: "ok" });
 */
export async function recordAudit(db: Queryable, entry: AuditEntry): Promise<string> {
  const { rows } = await db.query<{ id: string }>(
    `${insertSql()} returning id::text`,
    insertValues(entry),
  );
  return rows[0]!.id;
}

function insertSql(): string {
  return `insert into ${TABLE} (actor, action, target, params, result, request_id, request_key)
     values ($1, $2, $3, $4, $5, $6, $7)`;
}

function insertValues(entry: AuditEntry): unknown[] {
  return [
    storable(entry.actor),
    storable(entry.action),
    entry.target === undefined ? null : storable(entry.target),
    storableJson(entry.params ?? {}),
    storable(entry.result),
    entry.requestId === undefined ? null : storable(entry.requestId),
    entry.requestKey ?? null,
  ];
}

// A lone UTF-16 surrogate: JSON.stringify writes it as `\udXXX`, which jsonb refuses.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * Text as Postgres can store it: a NUL (which text and jsonb refuse, 22021
 * and 22P05) is kept as the six characters `\u0000`, a lone surrogate
 * (which jsonb refuses) as U+FFFD. An audit row is written for what was
 * asked, whatever was asked: a value it cannot store must not lose the row.
 */
export function storable(text: string): string {
  return text.replaceAll("\0", "\\u0000").replace(LONE_SURROGATE, "\uFFFD");
}

function storableJson(params: Record<string, unknown>): string {
  // Round-tripped first so dates and toJSON() are plain values; keys are text too.
  const clean = (value: unknown): unknown => {
    if (typeof value === "string") return storable(value);
    if (Array.isArray(value)) return value.map(clean);
    if (value !== null && typeof value === "object")
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [storable(k), clean(v)]));
    return value;
  };
  return JSON.stringify(clean(JSON.parse(JSON.stringify(params)) as unknown));
}

/**
 * Records an action that must run at most once per `requestKey` before it
 * runs: returns `{ claimed: true, id }` for the first caller, or the row of
 * the earlier submission (`claimed: false`), whose `result` says how it went.
 * The caller then sets the outcome with `setAuditResult`.
 *
 * @example
 * const claim = await claimAuditKey(pool, { ...entry, result: "running", requestKey });
 * if (!claim.claimed) return claim.row.result; // already done
 */
export async function claimAuditKey(
  db: Queryable,
  entry: AuditEntry & { requestKey: string },
): Promise<{ claimed: true; id: string } | { claimed: false; row: AuditRow }> {
  const { rows } = await db.query<{ id: string }>(
    `${insertSql()} on conflict (request_key) where request_key is not null do nothing
     returning id::text`,
    insertValues(entry),
  );
  if (rows[0]) return { claimed: true, id: rows[0].id };
  const earlier = await db.query<AuditRow>(
    `select id::text, at, actor, action, target, params, result, request_id, request_key
       from ${TABLE} where request_key = $1`,
    [entry.requestKey],
  );
  return { claimed: false, row: earlier.rows[0]! };
}

/** Sets the outcome of a claimed row (see `claimAuditKey`). */
export async function setAuditResult(
  db: Queryable,
  id: string,
  result: string,
  params?: Record<string, unknown>,
): Promise<void> {
  await db.query(`update ${TABLE} set result = $2, params = params || $3::jsonb where id = $1`, [
    id,
    storable(result),
    storableJson(params ?? {}),
  ]);
}

export interface AuditFilter {
  actor?: string | undefined;
  /** Exact action, or a prefix ending in `.` (`jobs.`). */
  action?: string | undefined;
  beforeId?: string | undefined;
  limit?: number;
}

/** Newest first; `beforeId` pages on. */
export async function listAuditEntries(
  db: Queryable,
  filter: AuditFilter = {},
): Promise<AuditRow[]> {
  const action = filter.action ?? null;
  const { rows } = await db.query<AuditRow>(
    `select id::text, at, actor, action, target, params, result, request_id, request_key
       from ${TABLE}
      where ($1::text is null or actor = $1)
        and ($2::text is null or action = $2 or (right($2, 1) = '.' and starts_with(action, $2)))
        and ($3::bigint is null or id < $3)
      order by id desc limit $4`,
    [filter.actor ?? null, action, filter.beforeId ?? null, filter.limit ?? 50],
  );
  return rows;
}
