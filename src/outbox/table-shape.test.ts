/**
 * The outbox table keeps the shape Debezium's outbox event router reads, and
 * the connector configuration in docs/outbox.md names only columns that
 * exist with the types the router expects.
 */
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { test } from "node:test";
import { withPool } from "../../test/jobs.js";

const root = path.resolve(import.meta.dirname, "../..");

test("opskit.outbox has Debezium's columns (and opskit's), held to the documented connector configuration", async () => {
  await withPool(async (pool) => {
    const { rows } = await pool.query<{ column_name: string; type: string; nullable: string }>(
      `select a.attname as column_name, format_type(a.atttypid, a.atttypmod) as type,
              case when a.attnotnull then 'NO' else 'YES' end as nullable
         from pg_attribute a where a.attrelid = 'opskit.outbox'::regclass and a.attnum > 0
          and not a.attisdropped order by a.attnum`,
    );
    const columns = new Map(rows.map((r) => [r.column_name, r]));
    const expect = (name: string, type: string, nullable: "YES" | "NO") => {
      const c = columns.get(name);
      assert.ok(c, `column ${name}`);
      assert.equal(c.type, type, `${name} type`);
      assert.equal(c.nullable, nullable, `${name} nullability`);
    };
    // What the router reads (Debezium's default outbox table), and what the
    // logical-replication reader and this relay read.
    expect("id", "uuid", "NO");
    expect("aggregatetype", "text", "NO");
    expect("aggregateid", "text", "NO");
    expect("type", "text", "NO");
    expect("payload", "jsonb", "YES");
    expect("headers", "jsonb", "YES");
    expect("position", "bigint", "NO");
    expect("txid", "xid8", "NO");
    expect("created_at", "timestamp with time zone", "NO");
    const { rows: pk } = await pool.query<{ column: string }>(
      `select a.attname as column from pg_index i
         join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey)
        where i.indrelid = 'opskit.outbox'::regclass and i.indisprimary`,
    );
    assert.deepEqual(
      pk.map((r) => r.column),
      ["id"],
    );

    const docs = await readFile(path.join(root, "docs/outbox.md"), "utf8");
    const block = /```json debezium-connector\n([\s\S]*?)```/.exec(docs)?.[1];
    assert.ok(block, "docs/outbox.md shows the connector configuration");
    const config = JSON.parse(block) as Record<string, string>;
    assert.equal(config["table.include.list"], "opskit.outbox");
    assert.equal(config["transforms.outbox.type"], "io.debezium.transforms.outbox.EventRouter");
    for (const key of [
      "table.field.event.id",
      "table.field.event.key",
      "table.field.event.payload",
      "route.by.field",
    ]) {
      const column = config[`transforms.outbox.${key}`];
      assert.ok(column && columns.has(column), `${key} names a column (${column})`);
    }
    assert.equal(columns.get(config["transforms.outbox.table.field.event.id"]!)?.type, "uuid");
    assert.equal(
      columns.get(config["transforms.outbox.table.field.event.payload"]!)?.type,
      "jsonb",
    );
    for (const placement of config["transforms.outbox.table.fields.additional.placement"]!.split(
      ",",
    )) {
      const [column] = placement.split(":");
      assert.ok(columns.has(column!), `additional field ${column}`);
    }

    // A row written the documented way is what the router would read.
    await pool.query("select opskit.publish_event('order', '1', 'order.created', '{\"a\":1}')");
    const { rows: row } = await pool.query(
      "select aggregatetype, aggregateid, type, payload from opskit.outbox",
    );
    assert.deepEqual(row, [
      { aggregatetype: "order", aggregateid: "1", type: "order.created", payload: { a: 1 } },
    ]);
  });
});
