import type { Queryable } from "../../db/index.js";
import type { JobState } from "./inspect-jobs.js";

/** What an operator filters jobs on (the console's jobs screen); every field narrows. */
export interface JobFilter {
  /** Default: any state. */
  state?: JobState | undefined;
  queue?: string | undefined;
  task?: string | undefined;
  /** On the state's own time: run_at (queued), locked_at (running), died_at, finished_at. */
  since?: Date | undefined;
  until?: Date | undefined;
  /** Text anywhere in the JSON payload, case-insensitive. */
  payload?: string | undefined;
}

/** One job in a filtered list, whichever table holds it. */
export interface JobListRow {
  id: string;
  task: string;
  queue: string;
  state: JobState;
  attempts: number;
  max_attempts: number;
  /** The state's own time (see JobFilter.since). */
  at: Date | null;
  created_at: Date;
  last_error: string | null;
}

// Each state lives in one table: unfinished jobs in opskit.jobs, dead ones
// in opskit.dead_jobs, finished ones in opskit.job_history. A filter on "any
// state" asks each table for its newest rows and merges them.
const PARTS = {
  live: {
    table: "opskit.jobs",
    state: "j.state",
    at: "case j.state when 'running' then j.locked_at else j.run_at end",
    states: ["scheduled", "ready", "running"],
  },
  dead: { table: "opskit.dead_jobs", state: "'dead'", at: "j.died_at", states: ["dead"] },
  history: {
    table: "opskit.job_history",
    state: "j.state",
    at: "j.finished_at",
    states: ["completed", "cancelled"],
  },
} as const;

type Part = (typeof PARTS)[keyof typeof PARTS];

function partsFor(state: JobState | undefined, only?: readonly JobState[]): Part[] {
  return Object.values(PARTS).filter((p) => {
    const states = p.states as readonly JobState[];
    if (state !== undefined && !states.includes(state)) return false;
    return only === undefined || states.some((s) => only.includes(s));
  });
}

/**
 * The WHERE clause of a filter over one table aliased `j`, parameters from $1:
 * state, queue, task, since, until, payload, before id (and `states`, the
 * states an action applies to, as $8).
 */
function whereSql(part: Part): string {
  return `($1::text is null or ${part.state} = $1)
      and ($2::text is null or j.queue = $2)
      and ($3::text is null or j.task = $3)
      and ($4::timestamptz is null or ${part.at} >= $4)
      and ($5::timestamptz is null or ${part.at} < $5)
      and ($7::bigint is null or j.id < $7)
      and ($8::text[] is null or ${part.state} = any($8))`;
}

/** Jobs searched for payload text, per table: the newest ones that match the other filters. */
export const PAYLOAD_SCAN_LIMIT = 10_000;

/**
 * One table's rows for a filter. Payload text has no index (a trigram index
 * on the queue's tables would tax every insert and completion), so it is
 * searched among the newest PAYLOAD_SCAN_LIMIT rows that pass the other
 * filters: bounded work whatever the table holds; a time window reaches
 * older jobs.
 */
function fromSql(part: Part): string {
  return `(select * from ${part.table} j where ${whereSql(part)}
             and ($6::text is null or j.id >= coalesce((
               select min(id) from (select j2.id from ${part.table} j2 where ${whereSql(part).replaceAll("j.", "j2.")}
                                     order by j2.id desc limit ${PAYLOAD_SCAN_LIMIT}) newest), 0))) j
      where ($6::text is null or strpos(lower(j.payload::text), lower($6)) > 0)`;
}

function params(
  filter: JobFilter,
  beforeId: string | undefined,
  only: readonly JobState[] | undefined,
) {
  return [
    filter.state ?? null,
    filter.queue ?? null,
    filter.task ?? null,
    filter.since ?? null,
    filter.until ?? null,
    filter.payload ?? null,
    beforeId ?? null,
    only ?? null,
  ];
}

/**
 * Jobs matching a filter, newest id first, `limit` at most; `beforeId` pages
 * on. One statement (a union of the tables the state can be in, each walked
 * backwards on its primary key).
 *
 * @example
 * const dead = await searchJobs(pool, { state: "dead", queue: "mail" }, { limit: 50 });
 */
export async function searchJobs(
  db: Queryable,
  filter: JobFilter,
  page: { limit: number; beforeId?: string | undefined },
): Promise<JobListRow[]> {
  const parts = partsFor(filter.state);
  if (parts.length === 0) return [];
  const sql = parts
    .map(
      (p) => `(select j.id::text, j.task, j.queue, ${p.state} as state, j.attempts, j.max_attempts,
              ${p.at} as at, j.created_at, j.errors->-1->>'message' as last_error, j.id as sort_id
         from ${fromSql(p)} order by j.id desc limit $9)`,
    )
    .join(" union all ");
  const { rows } = await db.query<JobListRow>(
    `select id, task, queue, state, attempts, max_attempts, at, created_at, last_error
       from (${sql}) u order by sort_id desc limit $9`,
    [...params(filter, page.beforeId, undefined), page.limit],
  );
  return rows;
}

/**
 * The ids an action on a filter would touch: jobs in one of `states`,
 * oldest first, `cap + 1` at most (one more than the cap says "more than
 * the cap match"). One statement.
 */
export async function selectJobIds(
  db: Queryable,
  filter: JobFilter,
  states: readonly JobState[],
  cap: number,
): Promise<{ id: string; state: JobState }[]> {
  const parts = partsFor(filter.state, states);
  if (parts.length === 0) return [];
  const sql = parts
    .map((p) => `(select j.id, ${p.state} as state from ${fromSql(p)} order by j.id limit $9)`)
    .join(" union all ");
  const { rows } = await db.query<{ id: string; state: JobState }>(
    `select id::text, state from (${sql}) u order by id limit $9`,
    [...params(filter, undefined, states), cap + 1],
  );
  return rows;
}
