/**
 * Helpers of the backup tests: a small bakery-shaped source database and a
 * backup directory, both removed after the callback.
 *
 * @example
 * await withBackupSource(async ({ url, dir }) => { await createBackup({ databaseUrl: url, directory: dir }); });
 */
import { chmod, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { withTestDb } from "../src/testing/index.js";

/** "No order past Filling without a stage change", the demo's invariant. */
export const stageInvariant = {
  name: "no order past Filling without a stage change",
  sql: `select o.id from orders o
         where o.stage <> 'Filling'
           and not exists (select 1 from stage_changes s where s.order_id = o.id)`,
};

export const smokeQueries = [
  { name: "read orders", sql: "select count(*) from orders" },
  { name: "write an order", sql: "insert into orders (id, stage) values (1000000, 'Filling')" },
];

export async function seedBakery(url: string, orders = 200): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`
      create table orders (id int primary key, stage text not null);
      create table stage_changes (id serial primary key, order_id int not null references orders, stage text not null);
      create index on stage_changes (order_id);
      insert into orders select g, case when g % 2 = 0 then 'Covering' else 'Filling' end from generate_series(1, ${orders}) g;
      insert into stage_changes (order_id, stage) select id, 'Covering' from orders where stage = 'Covering';`);
  } finally {
    await client.end();
  }
}

export async function withBackupSource<T>(
  fn: (ctx: { url: string; dir: string; scratchRoot: string }) => Promise<T>,
): Promise<T> {
  return withTestDb(async (db) => {
    await seedBakery(db.url);
    const dir = await mkdtemp(path.join(os.tmpdir(), "opskit-backups-"));
    // The scratch server runs as the postgres user when the tests run as root: it must reach its folder.
    await chmod(dir, 0o755);
    try {
      return await fn({ url: db.url, dir, scratchRoot: path.join(dir, ".scratch") });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
}
