import assert from "node:assert/strict";
import { createHash, randomUUID } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { after, test } from "node:test";
import pg from "pg";
import { createTestDatabase } from "../../test/db.js";
import { captureOutput, migrationDirs, queryRows } from "../../test/helpers.js";
import { runCli } from "../cli/index.js";
import { migrate, migrationStatus } from "./index.js";

const dirs = await migrationDirs();
after(() => dirs.remove());

// The table exactly as Prisma's schema engine creates it (prisma-engines,
// sql-schema-connector, Postgres flavour), written out here rather than
// taken from the code under test.
const PRISMA_DDL = `CREATE TABLE _prisma_migrations (
    id                      VARCHAR(36) PRIMARY KEY NOT NULL,
    checksum                VARCHAR(64) NOT NULL,
    finished_at             TIMESTAMPTZ,
    migration_name          VARCHAR(255) NOT NULL,
    logs                    TEXT,
    rolled_back_at          TIMESTAMPTZ,
    started_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    applied_steps_count     INTEGER NOT NULL DEFAULT 0
)`;

const sha256 = (bytes: Buffer | string) => createHash("sha256").update(bytes).digest("hex");

const HISTORY = {
  "migration_lock.toml": 'provider = "postgresql"\n',
  "20240312a_add_orders/migration.sql":
    '-- CreateTable\nCREATE TABLE "orders" (\n    "id" SERIAL NOT NULL,\n    "total" INTEGER,\n    CONSTRAINT "orders_pkey" PRIMARY KEY ("id")\n);\n',
  "20240312b_backfill_orders/migration.sql":
    'UPDATE "orders" SET "total" = 0 WHERE "total" IS NULL;\n',
};

/** What `prisma migrate deploy` leaves behind: each folder run, and a finished row with its checksum. */
async function deployAsPrisma(url: string, dir: string, names: string[]): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(PRISMA_DDL);
    for (const name of names) {
      const bytes = await readFile(path.join(dir, name, "migration.sql"));
      await client.query(bytes.toString("utf8"));
      await client.query(
        `insert into _prisma_migrations (id, checksum, finished_at, migration_name, logs, rolled_back_at, started_at, applied_steps_count)
         values ($1, $2, now(), $3, null, null, now(), 1)`,
        [randomUUID(), sha256(bytes), name],
      );
    }
  } finally {
    await client.end();
  }
}

test("a database Prisma migrated is adopted: only the new folder runs, and _prisma_migrations gets its row", async () => {
  const db = await createTestDatabase({ empty: true });
  try {
    const dir = await dirs.dir("adopt", HISTORY);
    await deployAsPrisma(db.url, dir, ["20240312a_add_orders", "20240312b_backfill_orders"]);
    const added = 'CREATE TABLE "customers" ("id" SERIAL PRIMARY KEY);\r\n';
    await dirs.dir("adopt", { "20240313a_add_customers/migration.sql": added });
    const sources = [{ source: "app", dir }];

    const status = await migrationStatus({ connectionString: db.url, sources });
    assert.deepEqual(
      status.files.map((f) => [f.name, f.state]),
      [
        ["20240312a_add_orders", "applied"],
        ["20240312b_backfill_orders", "applied"],
        ["20240313a_add_customers", "pending"],
      ],
    );
    assert.deepEqual(status.duplicates, [], "same-day letter versions are distinct");
    assert.equal(status.sources[0]?.history, "prisma");

    const { error, results } = await migrate({ connectionString: db.url, sources });
    assert.equal(error, undefined);
    assert.deepEqual(
      results.map((r) => r.name),
      ["20240313a_add_customers"],
    );
    const rows = await queryRows<{
      migration_name: string;
      checksum: string;
      finished: boolean;
      logs: string | null;
      rolled_back_at: Date | null;
      applied_steps_count: number;
      id_is_uuid: boolean;
    }>(
      db.url,
      `select migration_name, checksum, finished_at is not null as finished, logs, rolled_back_at,
              applied_steps_count, id ~ '^[0-9a-f-]{36}$' as id_is_uuid
         from _prisma_migrations order by started_at, migration_name`,
    );
    assert.equal(rows.length, 3);
    const mine = rows.find((r) => r.migration_name === "20240313a_add_customers");
    assert.deepEqual(mine, {
      migration_name: "20240313a_add_customers",
      checksum: sha256(Buffer.from(added, "utf8")),
      finished: true,
      logs: null,
      rolled_back_at: null,
      applied_steps_count: 1,
      id_is_uuid: true,
    });
    const history = await queryRows<{ name: string; applied_by: string }>(
      db.url,
      "select name, applied_by from opskit.schema_migrations where source = 'app' order by name",
    );
    assert.deepEqual(
      history.map((h) => [h.name, h.applied_by === "prisma" ? "prisma" : "opskit"]),
      [
        ["20240312a_add_orders", "prisma"],
        ["20240312b_backfill_orders", "prisma"],
        ["20240313a_add_customers", "opskit"],
      ],
    );
    const audit = await queryRows<{ params: { mirrored: string[] } }>(
      db.url,
      "select params from opskit.audit_log where action = 'migrate.adopt_history'",
    );
    assert.deepEqual(audit[0]?.params.mirrored, [
      "app/20240312a_add_orders",
      "app/20240312b_backfill_orders",
    ]);
    const again = await migrate({ connectionString: db.url, sources });
    assert.deepEqual([again.error, again.results], [undefined, []]);
  } finally {
    await db.drop();
  }
});

test("a failed Prisma row is refused with the recovery commands; nothing runs", async () => {
  const db = await createTestDatabase({ empty: true });
  try {
    const dir = await dirs.dir("failed", {
      ...HISTORY,
      "20240314a_add_index/migration.sql": "CREATE INDEX orders_total_idx ON orders (total);\n",
    });
    await deployAsPrisma(db.url, dir, ["20240312a_add_orders", "20240312b_backfill_orders"]);
    await queryRows(
      db.url,
      `insert into _prisma_migrations (id, checksum, finished_at, migration_name, logs, started_at, applied_steps_count)
       values ($1, 'x', null, '20240312c_split_orders', 'Database error code: 23505', now(), 0)`,
      [randomUUID()],
    );
    await dirs.dir("failed", {
      "20240312c_split_orders/migration.sql": "ALTER TABLE orders ADD COLUMN split INTEGER;\n",
    });
    const sources = [{ source: "app", dir }];
    const status = await migrationStatus({ connectionString: db.url, sources });
    assert.equal(status.files.find((f) => f.name === "20240312c_split_orders")?.state, "failed");
    const { error, results } = await migrate({ connectionString: db.url, sources });
    assert.equal(error?.code, "MIGRATION_PREVIOUSLY_FAILED");
    assert.equal(error?.file, "20240312c_split_orders");
    assert.match(
      error?.message ?? "",
      /opskit migrate resolve --rolled-back 20240312c_split_orders/,
    );
    assert.match(
      error?.message ?? "",
      /npx prisma migrate resolve --rolled-back 20240312c_split_orders/,
    );
    assert.match(
      error?.message ?? "",
      /npx prisma migrate resolve --applied 20240312c_split_orders/,
    );
    assert.deepEqual(results, []);
    assert.deepEqual(
      await queryRows(db.url, "select 1 from pg_class where relname = 'orders_total_idx'"),
      [],
    );
  } finally {
    await db.drop();
  }
});

test("a rolled-back Prisma row runs again; an edited applied folder is a checksum mismatch", async () => {
  const db = await createTestDatabase({ empty: true });
  try {
    const dir = await dirs.dir("rolledback", {
      ...HISTORY,
      "20240312c_split_orders/migration.sql": "ALTER TABLE orders ADD COLUMN split INTEGER;\n",
    });
    await deployAsPrisma(db.url, dir, ["20240312a_add_orders", "20240312b_backfill_orders"]);
    await queryRows(
      db.url,
      `insert into _prisma_migrations (id, checksum, finished_at, migration_name, logs, rolled_back_at, started_at, applied_steps_count)
       values ($1, 'x', null, '20240312c_split_orders', 'failed', now(), now() - interval '1 hour', 0)`,
      [randomUUID()],
    );
    const sources = [{ source: "app", dir }];
    const { error, results } = await migrate({ connectionString: db.url, sources });
    assert.equal(error, undefined);
    assert.deepEqual(
      results.map((r) => r.name),
      ["20240312c_split_orders"],
    );
    const rows = await queryRows<{ rolled_back: boolean; finished: boolean }>(
      db.url,
      `select rolled_back_at is not null as rolled_back, finished_at is not null as finished
         from _prisma_migrations where migration_name = '20240312c_split_orders' order by started_at`,
    );
    assert.deepEqual(rows, [
      { rolled_back: true, finished: false },
      { rolled_back: false, finished: true },
    ]);

    // A CRLF checkout of an applied folder is not an edit (Prisma's own rule)…
    const file = path.join(dir, "20240312b_backfill_orders", "migration.sql");
    await writeFile(
      file,
      HISTORY["20240312b_backfill_orders/migration.sql"].replace(/\n/g, "\r\n"),
    );
    const crlf = await migrationStatus({ connectionString: db.url, sources });
    assert.equal(crlf.files.find((f) => f.name === "20240312b_backfill_orders")?.state, "applied");
    // …a real edit is.
    await writeFile(file, 'UPDATE "orders" SET "total" = 1;\n');
    const changed = await migrate({ connectionString: db.url, sources });
    assert.equal(changed.error?.code, "MIGRATION_CHECKSUM_MISMATCH");
    assert.match(changed.error?.message ?? "", /recorded in _prisma_migrations/);
  } finally {
    await db.drop();
  }
});

test("a fresh database with a Prisma folder gets _prisma_migrations as Prisma creates it", async () => {
  const db = await createTestDatabase({ empty: true });
  try {
    const dir = await dirs.dir("fresh", HISTORY);
    const { error } = await migrate({
      connectionString: db.url,
      sources: [{ source: "app", dir }],
    });
    assert.equal(error, undefined);
    const columns = await queryRows<{
      column_name: string;
      data_type: string;
      is_nullable: string;
    }>(
      db.url,
      `select column_name, data_type, is_nullable from information_schema.columns
        where table_schema = 'public' and table_name = '_prisma_migrations' order by ordinal_position`,
    );
    assert.deepEqual(
      columns.map((c) => `${c.column_name} ${c.data_type} ${c.is_nullable}`),
      [
        "id character varying NO",
        "checksum character varying NO",
        "finished_at timestamp with time zone YES",
        "migration_name character varying NO",
        "logs text YES",
        "rolled_back_at timestamp with time zone YES",
        "started_at timestamp with time zone NO",
        "applied_steps_count integer NO",
      ],
    );
    const names = await queryRows<{ migration_name: string }>(
      db.url,
      "select migration_name from _prisma_migrations order by migration_name",
    );
    assert.deepEqual(
      names.map((n) => n.migration_name),
      ["20240312a_add_orders", "20240312b_backfill_orders"],
    );
  } finally {
    await db.drop();
  }
});

test("a no-transaction folder writes a started row first, as Prisma does; opskit resumes its own", async () => {
  const db = await createTestDatabase({ empty: true });
  try {
    const dir = await dirs.dir("concurrently", {
      ...HISTORY,
      "20240313a_indexes/migration.sql":
        "-- opskit:no-transaction\nCREATE INDEX CONCURRENTLY orders_total ON orders (total);\nCREATE INDEX CONCURRENTLY orders_bad ON orders (nosuch);\n",
    });
    const sources = [{ source: "app", dir }];
    const failed = await migrate({ connectionString: db.url, sources });
    assert.equal(failed.error?.code, "MIGRATION_FAILED");
    const open = await queryRows<{ finished: boolean; rolled_back: boolean }>(
      db.url,
      `select finished_at is not null as finished, rolled_back_at is not null as rolled_back
         from _prisma_migrations where migration_name = '20240313a_indexes'`,
    );
    assert.deepEqual(
      open,
      [{ finished: false, rolled_back: false }],
      "Prisma would call it failed",
    );
    const status = await migrationStatus({ connectionString: db.url, sources });
    assert.equal(status.files.at(-1)?.state, "partial");
    await writeFile(
      path.join(dir, "20240313a_indexes", "migration.sql"),
      "-- opskit:no-transaction\nCREATE INDEX CONCURRENTLY orders_total ON orders (total);\nCREATE INDEX CONCURRENTLY orders_id ON orders (id);\n",
    );
    const resumed = await migrate({ connectionString: db.url, sources });
    assert.equal(resumed.error, undefined);
    const rows = await queryRows<{ finished: boolean; logs: string | null; checksum: string }>(
      db.url,
      `select finished_at is not null as finished, logs, checksum from _prisma_migrations
        where migration_name = '20240313a_indexes'`,
    );
    const text = await readFile(path.join(dir, "20240313a_indexes", "migration.sql"));
    assert.deepEqual(rows, [{ finished: true, logs: null, checksum: sha256(text) }]);
  } finally {
    await db.drop();
  }
});

test("Prisma's ?schema= in the URL means what it means to Prisma: its table and objects in that schema", async () => {
  const db = await createTestDatabase({ empty: true });
  try {
    const dir = await dirs.dir("schema-param", HISTORY);
    const url = `${db.url}${db.url.includes("?") ? "&" : "?"}schema=bakery`;
    const { error } = await migrate({ connectionString: url, sources: [{ source: "app", dir }] });
    assert.equal(error, undefined);
    const tables = await queryRows<{ t: string }>(
      db.url,
      `select table_schema || '.' || table_name as t from information_schema.tables
        where table_name in ('orders', '_prisma_migrations') order by 1`,
    );
    assert.deepEqual(
      tables.map((t) => t.t),
      ["bakery._prisma_migrations", "bakery.orders"],
    );
    const status = await migrationStatus({
      connectionString: url,
      sources: [{ source: "app", dir }],
    });
    assert.deepEqual(
      status.files.map((f) => f.state),
      ["applied", "applied"],
    );
  } finally {
    await db.drop();
  }
});

test("duplicate versions Prisma already applied: the runner goes on, and lint --database-url agrees", async () => {
  const db = await createTestDatabase({ empty: true });
  try {
    const dir = await dirs.dir("applied-dupes", {
      "migration_lock.toml": "",
      "20240312_add_orders/migration.sql": "CREATE TABLE orders (id int);\n",
      "20240312_backfill/migration.sql": "UPDATE orders SET id = id;\n",
    });
    await deployAsPrisma(db.url, dir, ["20240312_add_orders", "20240312_backfill"]);
    await dirs.dir("applied-dupes", {
      "20240313a_more/migration.sql": "ALTER TABLE orders ADD COLUMN note text;\n",
    });
    const offline = captureOutput();
    assert.equal(await runCli(["migrate", "lint", dir, "--format", "json"], offline.io), 1);
    assert.match(offline.out.join(""), /duplicate-version/);
    const online = captureOutput();
    assert.equal(
      await runCli(
        ["migrate", "lint", dir, "--format", "json", "--database-url", db.url],
        online.io,
      ),
      0,
    );
    const { error, results } = await migrate({
      connectionString: db.url,
      sources: [{ source: "app", dir }],
    });
    assert.equal(error, undefined);
    assert.deepEqual(
      results.map((r) => r.name),
      ["20240313a_more"],
    );
  } finally {
    await db.drop();
  }
});
