import type { Queryable } from "../../db/index.js";
import { OpskitError } from "../../errors.js";
import { pauseQueue, resumeQueue } from "../../jobs/index.js";

export interface InboxSourceRow {
  name: string;
  verifier: string;
  retention_days: number | null;
  max_attempts: number;
  paused: boolean;
  paused_at: Date | null;
  paused_by: string | null;
  pause_reason: string | null;
  registered_at: Date;
  updated_at: Date;
}

/**
 * Records the sources a service declares (verifier, retention, attempts) so
 * that the CLI and the console, which do not load the service's code, can
 * show, prune and replay them. A pause set by an operator is kept.
 */
export async function registerInboxSources(
  db: Queryable,
  sources: readonly {
    name: string;
    verifier: string;
    retentionDays: number | undefined;
    maxAttempts: number;
  }[],
): Promise<void> {
  await db.query(
    `insert into opskit.inbox_sources (name, verifier, retention_days, max_attempts)
     select * from unnest($1::text[], $2::text[], $3::integer[], $4::integer[])
     on conflict (name) do update set verifier = excluded.verifier,
       retention_days = excluded.retention_days, max_attempts = excluded.max_attempts,
       updated_at = now()`,
    [
      sources.map((s) => s.name),
      sources.map((s) => s.verifier),
      sources.map((s) => s.retentionDays ?? null),
      sources.map((s) => s.maxAttempts),
    ],
  );
}

export async function listInboxSources(db: Queryable): Promise<InboxSourceRow[]> {
  const { rows } = await db.query<InboxSourceRow>(
    "select * from opskit.inbox_sources order by name",
  );
  return rows;
}

export async function findInboxSource(db: Queryable, name: string): Promise<InboxSourceRow> {
  const { rows } = await db.query<InboxSourceRow>(
    "select * from opskit.inbox_sources where name = $1",
    [name],
  );
  if (rows[0]) return rows[0];
  const known = (await listInboxSources(db)).map((s) => s.name);
  throw new OpskitError(
    "NOT_FOUND",
    `No inbox source "${name}"${known.length ? ` (known: ${known.join(", ")})` : ""}; sources are registered when the service starts.`,
  );
}

/**
 * Pauses a source: its events keep being received, stored and acknowledged,
 * and their jobs queue up; processing holds (the job queue `inbox.<name>` is
 * paused) until `resumeInboxSource`. Jobs already running finish.
 */
export async function pauseInboxSource(
  db: Queryable,
  name: string,
  by: { by: string; reason: string },
): Promise<InboxSourceRow> {
  await findInboxSource(db, name);
  await pauseQueue(db, `inbox.${name}`);
  const { rows } = await db.query<InboxSourceRow>(
    `update opskit.inbox_sources set paused = true, paused_at = now(), paused_by = $2,
       pause_reason = $3, updated_at = now() where name = $1 returning *`,
    [name, by.by, by.reason],
  );
  return rows[0]!;
}

/** Resumes a paused source: its queued events are processed in arrival order. */
export async function resumeInboxSource(db: Queryable, name: string): Promise<InboxSourceRow> {
  await findInboxSource(db, name);
  const { rows } = await db.query<InboxSourceRow>(
    `update opskit.inbox_sources set paused = false, updated_at = now() where name = $1 returning *`,
    [name],
  );
  await resumeQueue(db, `inbox.${name}`);
  return rows[0]!;
}
