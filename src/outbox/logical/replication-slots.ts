import pg from "pg";
import type { Queryable } from "../../db/index.js";
import { OpskitError } from "../../errors.js";

/**
 * The statements the logical reader and its guard run on an ordinary
 * connection: the checks that logical decoding can work at all, the
 * publication and the slot created when missing, the slot's lag, and the
 * drop that ends a slot whose consumer fell too far behind.
 */

/** `schema.table` split and quoted; a bare name is in `public`. */
export function quoteTable(table: string): { schema: string; name: string; sql: string } {
  const parts = table.split(".");
  if (parts.length > 2 || parts.some((p) => p === "")) {
    throw new OpskitError("BAD_REQUEST", `"${table}" is not a table name (schema.table).`);
  }
  const [schema, name] = parts.length === 2 ? [parts[0]!, parts[1]!] : ["public", parts[0]!];
  return {
    schema,
    name,
    sql: `${pg.escapeIdentifier(schema)}.${pg.escapeIdentifier(name)}`,
  };
}

/**
 * Fails with a message that says what to change when the server cannot
 * decode its WAL logically (`wal_level` below `logical`) or the role may not
 * open a replication connection.
 */
export async function assertLogicalReplicationAvailable(db: Queryable): Promise<void> {
  const { rows } = await db.query<{ wal_level: string; replication: boolean }>(
    `select current_setting('wal_level') as wal_level,
            (select rolreplication or rolsuper from pg_roles where rolname = current_user) as replication`,
  );
  const row = rows[0]!;
  if (row.wal_level !== "logical") {
    throw new OpskitError(
      "OUTBOX_LOGICAL_UNAVAILABLE",
      `The server runs with wal_level=${row.wal_level}; the outbox's logical reader needs wal_level=logical ` +
        "(set it in postgresql.conf or with ALTER SYSTEM and restart the server), with max_replication_slots " +
        "and max_wal_senders above 0. Until then the polling relay delivers the outbox.",
    );
  }
  if (!row.replication) {
    throw new OpskitError(
      "OUTBOX_LOGICAL_UNAVAILABLE",
      "The database role may not open replication connections; grant it with ALTER ROLE … REPLICATION " +
        "(and allow it in pg_hba.conf), or keep the polling relay.",
    );
  }
}

/** Creates the publication (inserts of `table` only) unless it exists; checks that it covers the table. */
export async function ensurePublication(
  db: Queryable,
  publication: string,
  table: string,
): Promise<void> {
  const { schema, name, sql } = quoteTable(table);
  const covers = async () =>
    (
      await db.query<{ covers: boolean | null }>(
        `select (select true from pg_publication_tables
                  where pubname = $1 and schemaname = $2 and tablename = $3) as covers
           from pg_publication where pubname = $1`,
        [publication, schema, name],
      )
    ).rows[0];
  let found = await covers();
  if (!found) {
    try {
      await db.query(
        `create publication ${pg.escapeIdentifier(publication)} for table ${sql} with (publish = 'insert')`,
      );
    } catch (error) {
      // Another reader created it between the check and the create.
      if ((error as { code?: string }).code !== "42710") throw error;
    }
    found = await covers();
  }
  if (!found?.covers) {
    throw new OpskitError(
      "CONFLICT",
      `The publication "${publication}" exists but does not publish ${table}; ` +
        `add it (ALTER PUBLICATION … ADD TABLE ${table}) or choose another publication name.`,
    );
  }
}

export interface SlotState {
  /** Position up to which the consumer confirmed delivery. */
  confirmedFlushLsn: string;
  /** The walsender streaming the slot, if any. */
  activePid: number | null;
  /** `pg_current_wal_lsn() - confirmed_flush_lsn`: WAL the slot holds back, in bytes. */
  lagBytes: number;
}

/** The slot's position and lag, or undefined when it does not exist. */
export async function readSlot(db: Queryable, slot: string): Promise<SlotState | undefined> {
  const { rows } = await db.query<{
    confirmed_flush_lsn: string;
    active_pid: number | null;
    lag_bytes: number;
  }>(
    `select confirmed_flush_lsn::text, active_pid,
            pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::float8 as lag_bytes
       from pg_replication_slots where slot_name = $1`,
    [slot],
  );
  const row = rows[0];
  return row
    ? {
        confirmedFlushLsn: row.confirmed_flush_lsn,
        activePid: row.active_pid,
        lagBytes: row.lag_bytes,
      }
    : undefined;
}

/**
 * Creates the logical slot (pgoutput) unless it exists; says whether it did.
 * A slot of the same name that is not a pgoutput slot of this database is
 * refused rather than used.
 */
export async function ensureSlot(db: Queryable, slot: string): Promise<{ created: boolean }> {
  const existing = async () =>
    (
      await db.query<{ plugin: string | null; here: boolean }>(
        `select plugin, database = current_database() as here from pg_replication_slots where slot_name = $1`,
        [slot],
      )
    ).rows[0];
  let found = await existing();
  let created = false;
  if (!found) {
    try {
      // Waits for transactions running now to end (the slot's consistent point).
      await db.query(`select pg_create_logical_replication_slot($1, 'pgoutput')`, [slot]);
      created = true;
    } catch (error) {
      if ((error as { code?: string }).code !== "42710") throw error;
    }
    found = await existing();
  }
  if (!found || found.plugin !== "pgoutput" || !found.here) {
    throw new OpskitError(
      "CONFLICT",
      `The replication slot "${slot}" exists but is not a pgoutput slot of this database; choose another slot name.`,
    );
  }
  return { created };
}

/**
 * Drops the slot, ending the walsender that streams it first (a slot in
 * use cannot be dropped). Says whether there was a slot to drop.
 */
export async function dropSlot(db: Queryable, slot: string): Promise<boolean> {
  for (let attempt = 0; ; attempt++) {
    const state = await readSlot(db, slot);
    if (!state) return false;
    if (state.activePid !== null) {
      await db.query("select pg_terminate_backend($1)", [state.activePid]);
    }
    try {
      await db.query("select pg_drop_replication_slot($1)", [slot]);
      return true;
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === "42704") return false; // dropped by someone else meanwhile
      // 55006: the terminated walsender has not released the slot yet.
      if (code !== "55006" || attempt >= 100) throw error;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
