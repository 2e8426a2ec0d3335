import type { Queryable } from "../../db/index.js";

export interface SilenceRow {
  id: string;
  matchers: Record<string, string>;
  starts_at: Date;
  ends_at: Date;
  created_by: string;
  comment: string;
  created_at: Date;
  expired_at: Date | null;
  expired_by: string | null;
}

const COLUMNS = `id::text, matchers, starts_at, ends_at, created_by, comment, created_at, expired_at, expired_by`;

/** Silences in force now (started, not ended, not expired by hand). */
export async function readActiveSilences(db: Queryable): Promise<SilenceRow[]> {
  const { rows } = await db.query<SilenceRow>(
    `select ${COLUMNS} from opskit.alert_silences
      where expired_at is null and starts_at <= now() and ends_at > now() order by id`,
  );
  return rows;
}

/** Every silence, newest first (active and past). */
export async function listSilences(db: Queryable, limit = 100): Promise<SilenceRow[]> {
  const { rows } = await db.query<SilenceRow>(
    `select ${COLUMNS} from opskit.alert_silences order by id desc limit $1`,
    [limit],
  );
  return rows;
}

export async function insertSilence(
  db: Queryable,
  silence: { matchers: Record<string, string>; endsAt: Date; createdBy: string; comment: string },
): Promise<SilenceRow> {
  const { rows } = await db.query<SilenceRow>(
    `insert into opskit.alert_silences (matchers, ends_at, created_by, comment)
     values ($1, $2, $3, $4) returning ${COLUMNS}`,
    [JSON.stringify(silence.matchers), silence.endsAt, silence.createdBy, silence.comment],
  );
  return rows[0]!;
}

/** Ends a silence now; undefined when no active silence has that id. */
export async function expireSilence(
  db: Queryable,
  id: string,
  by: string,
): Promise<SilenceRow | undefined> {
  if (!/^\d{1,19}$/.test(id)) return undefined;
  const { rows } = await db.query<SilenceRow>(
    `update opskit.alert_silences set expired_at = now(), expired_by = $2
      where id = $1 and expired_at is null and ends_at > now() returning ${COLUMNS}`,
    [id, by],
  );
  return rows[0];
}

/** True when every matcher of the silence equals the alert's label. */
export function silenceMatches(
  matchers: Record<string, string>,
  labels: Record<string, string>,
): boolean {
  return Object.entries(matchers).every(([k, v]) => labels[k] === v);
}
