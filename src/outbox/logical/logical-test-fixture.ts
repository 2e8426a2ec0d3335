import { randomBytes } from "node:crypto";
import pg from "pg";
import { withClient } from "../../db/index.js";
import { withTestDb, type TestDatabase } from "../../testing/index.js";

/**
 * Test support for the logical reader: a fresh database holding the outbox
 * table (the DDL of the outbox area's migration), and a unique slot and
 * publication name. The slots of the database are dropped before it is (a
 * database with a logical slot cannot be dropped).
 */
export const OUTBOX_DDL = `
create schema if not exists opskit;
create table if not exists opskit.outbox (
  id uuid primary key,
  aggregatetype text not null,
  aggregateid text not null,
  type text not null,
  payload jsonb,
  headers jsonb,
  position bigint generated always as identity,
  txid xid8 not null default pg_current_xact_id(),
  created_at timestamptz not null default now()
)`;

export interface OutboxTestDb extends TestDatabase {
  slotName: string;
  publicationName: string;
  pool: pg.Pool;
  /** Inserts one transaction's rows; returns their ids. */
  insert(payloads: unknown[], options?: { type?: string }): Promise<string[]>;
}

export async function withOutboxDb<T>(fn: (db: OutboxTestDb) => Promise<T>): Promise<T> {
  return withTestDb(async (db) => {
    const suffix = randomBytes(4).toString("hex");
    const pool = new pg.Pool({ connectionString: db.url, max: 4 });
    try {
      await pool.query(OUTBOX_DDL);
      const insert = async (payloads: unknown[], options: { type?: string } = {}) => {
        const { rows } = await pool.query<{ id: string }>(
          `insert into opskit.outbox (id, aggregatetype, aggregateid, type, payload)
           select gen_random_uuid(), 'order', 'o-' || ord, $2, p
             from unnest($1::jsonb[]) with ordinality as t(p, ord)
           order by ord returning id`,
          [payloads.map((p) => JSON.stringify(p)), options.type ?? "order.created"],
        );
        return rows.map((r) => r.id);
      };
      return await fn({
        ...db,
        slotName: `t_outbox_${suffix}`,
        publicationName: `t_outbox_${suffix}`,
        pool,
        insert,
      });
    } finally {
      await pool.end();
      await dropSlotsOf(db);
    }
  });
}

/** Drops every slot of the database (ending the walsenders holding them): it cannot be dropped before. */
export async function dropSlotsOf(db: Pick<TestDatabase, "url">): Promise<void> {
  await withClient(db.url, { ignoreErrorEvents: true }, async (client) => {
    for (let attempt = 0; attempt < 100; attempt++) {
      const { rows } = await client.query<{ slot_name: string; active_pid: number | null }>(
        "select slot_name, active_pid from pg_replication_slots where database = current_database()",
      );
      if (rows.length === 0) return;
      for (const row of rows) {
        if (row.active_pid !== null) {
          await client.query("select pg_terminate_backend($1)", [row.active_pid]);
        }
        await client
          .query("select pg_drop_replication_slot($1)", [row.slot_name])
          .catch(() => undefined);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  });
}

/** A row's text of `size` bytes that compresses badly (WAL grows by about its size). */
export function incompressible(size: number): string {
  return randomBytes(Math.ceil(size / 2))
    .toString("hex")
    .slice(0, size);
}
