import type pg from "pg";
import { readHistory } from "../migrate/index.js";
import type { MigrationEntry } from "./backup-manifest.js";

/** What a backup's manifest records of the source, all read in one snapshot. */
export interface SnapshotFacts {
  database: string;
  snapshotAt: Date;
  lsn: string;
  systemIdentifier: string | null;
  serverVersion: string;
  serverMajor: number;
  migrations: { newest: string | null; history: MigrationEntry[] };
}

/** Server facts: in a snapshot when `client` is in a repeatable-read transaction. */
export async function readServerFacts(
  client: pg.ClientBase,
): Promise<Omit<SnapshotFacts, "migrations">> {
  const { rows } = await client.query<{
    database: string;
    at: Date;
    lsn: string;
    version: string;
    num: string;
  }>(`select current_database() as database, clock_timestamp() as at,
             (case when pg_is_in_recovery() then pg_last_wal_replay_lsn() else pg_current_wal_lsn() end)::text as lsn,
             current_setting('server_version') as version, current_setting('server_version_num') as num`);
  const row = rows[0]!;
  return {
    database: row.database,
    snapshotAt: row.at,
    lsn: row.lsn,
    systemIdentifier: await readSystemIdentifier(client),
    serverVersion: row.version,
    serverMajor: Math.floor(Number(row.num) / 10_000),
  };
}

/**
 * `pg_control_system()` is for superusers and `pg_monitor` by default; a
 * backup role without it still backs up (the target guard then compares
 * host, port and database instead). A savepoint keeps the snapshot's
 * transaction usable after a refusal.
 */
export async function readSystemIdentifier(client: pg.ClientBase): Promise<string | null> {
  await client.query("savepoint opskit_sysid");
  try {
    const { rows } = await client.query<{ id: string }>(
      "select system_identifier::text as id from pg_control_system()",
    );
    await client.query("release savepoint opskit_sysid");
    return rows[0]?.id ?? null;
  } catch {
    await client.query("rollback to savepoint opskit_sysid");
    return null;
  }
}

/** The toolkit's migration history, read through migrate (its owner), newest last. */
export async function readMigrationFacts(
  client: pg.ClientBase,
): Promise<SnapshotFacts["migrations"]> {
  const history = (await readHistory(client)).map((m) => ({
    source: m.source,
    name: m.name,
    checksum: m.checksum,
  }));
  const last = history.at(-1);
  return { newest: last ? `${last.source}/${last.name}` : null, history };
}
