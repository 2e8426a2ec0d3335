import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { once } from "node:events";
import path from "node:path";
import { test } from "node:test";
import { Registry } from "prom-client";
import { createLogger } from "../../log/index.js";
import { waitUntil } from "../../testing/index.js";
import {
  createLogicalOutboxReader,
  type LogicalCommit,
  type LogicalOutboxReaderEvents,
  type LogicalOutboxRow,
} from "./logical-outbox-reader.js";
import { parseLsn } from "./lsn.js";
import { incompressible, withOutboxDb, type OutboxTestDb } from "./logical-test-fixture.js";

const silent = () => createLogger({ level: "warn", destination: { write: () => undefined } });

interface Batch {
  rows: LogicalOutboxRow[];
  commit: LogicalCommit;
}

function readerFor(
  db: OutboxTestDb,
  onRows: (rows: LogicalOutboxRow[], commit: LogicalCommit) => Promise<void>,
  extra: {
    maxSlotLagBytes?: number;
    registry?: Registry;
    guardIntervalMs?: number;
    drainTimeoutMs?: number;
  } = {},
) {
  return createLogicalOutboxReader({
    connectionString: db.url,
    slotName: db.slotName,
    publicationName: db.publicationName,
    maxSlotLagBytes: extra.maxSlotLagBytes ?? 1024 ** 3,
    registry: extra.registry,
    guardIntervalMs: extra.guardIntervalMs ?? 200,
    ...(extra.drainTimeoutMs === undefined ? {} : { drainTimeoutMs: extra.drainTimeoutMs }),
    log: silent(),
    onRows,
  });
}

test("rows of several transactions arrive per transaction, in commit order, with their payload text intact", async () => {
  await withOutboxDb(async (db) => {
    const batches: Batch[] = [];
    const reader = readerFor(db, async (rows, commit) => void batches.push({ rows, commit }));
    const started = await reader.start();
    assert.equal(started.slotCreated, true);
    try {
      const big = "12345678901234567890123"; // beyond 2^53: JSON.parse would round it
      const t1 = await db.insert([{ n: 1 }, { n: 2 }, { n: 3 }]);
      const t2 = await db.insert([JSON.parse(`{"amount": 1}`)]);
      await db.pool.query(
        `insert into opskit.outbox (id, aggregatetype, aggregateid, type, payload, headers)
         values ($1, 'order', 'o-9', 'order.paid', $2::jsonb, '{"trace": "abc"}')`,
        [randomUUID(), `{"amount": ${big}, "note": "crème brûlée"}`],
      );
      const t4 = await db.insert([{ n: 4 }]);
      await waitUntil(() => batches.length === 4, "four transactions delivered");

      assert.deepEqual(
        batches[0]!.rows.map((r) => r.id),
        t1,
      );
      assert.deepEqual(
        batches[1]!.rows.map((r) => r.id),
        t2,
      );
      assert.equal(batches[2]!.rows[0]!.payload, `{"note": "crème brûlée", "amount": ${big}}`);
      assert.equal(batches[2]!.rows[0]!.headers, `{"trace": "abc"}`);
      assert.deepEqual(
        batches[3]!.rows.map((r) => r.id),
        t4,
      );
      // Every column as the server stores it (jsonb's own text form), and positions in order.
      const { rows: stored } = await db.pool.query<Record<string, string | null>>(
        `select id::text, aggregatetype, aggregateid, type, payload::text, headers::text,
                position::text, txid::text, created_at::text
           from opskit.outbox order by position`,
      );
      const delivered = batches.flatMap((b) => b.rows).map((r) => ({ ...r }));
      assert.deepEqual(delivered, stored);
      // Commit positions increase, one per transaction.
      const lsns = batches.map((b) => BigInt(`0x${b.commit.lsn.replace("/", "")}`));
      assert.deepEqual(
        [...lsns].sort((a, b) => (a < b ? -1 : 1)),
        lsns,
      );
      assert.equal(new Set(batches.map((b) => b.commit.xid)).size, 4);
    } finally {
      await reader.stop();
    }
  });
});

test("rows of rolled-back transactions and savepoints never arrive, and later ones still do", async () => {
  await withOutboxDb(async (db) => {
    const batches: Batch[] = [];
    const reader = readerFor(db, async (rows, commit) => void batches.push({ rows, commit }));
    await reader.start();
    try {
      const client = await db.pool.connect();
      try {
        await client.query("begin");
        await client.query(
          `insert into opskit.outbox (id, aggregatetype, aggregateid, type, payload)
           values (gen_random_uuid(), 'order', 'rolled-back', 'x', '{}')`,
        );
        await client.query("rollback");
        await client.query("begin");
        await client.query(
          `insert into opskit.outbox (id, aggregatetype, aggregateid, type, payload)
           values (gen_random_uuid(), 'order', 'kept', 'x', '{}')`,
        );
        await client.query("savepoint s");
        await client.query(
          `insert into opskit.outbox (id, aggregatetype, aggregateid, type, payload)
           values (gen_random_uuid(), 'order', 'savepoint-rolled-back', 'x', '{}')`,
        );
        await client.query("rollback to savepoint s");
        await client.query("commit");
      } finally {
        client.release();
      }
      const last = await db.insert([{ last: true }]);
      await waitUntil(() => batches.some((b) => b.rows.some((r) => r.id === last[0])), "last row");
      const seen = batches.flatMap((b) => b.rows.map((r) => r.aggregateid));
      assert.deepEqual(seen, ["kept", "o-1"]);
    } finally {
      await reader.stop();
    }
  });
});

test("positions are confirmed only after onRows resolves, and a restarted reader reads the rest again", async () => {
  await withOutboxDb(async (db) => {
    let release: (() => void) | undefined;
    const commits: LogicalCommit[] = [];
    const reader = readerFor(
      db,
      async (_rows, commit) => {
        commits.push(commit);
        if (commits.length === 2) await new Promise<void>((r) => (release = r));
      },
      { drainTimeoutMs: 0 },
    );
    await reader.start();
    const confirmed = async () =>
      parseLsn(
        (
          await db.pool.query<{ lsn: string }>(
            "select confirmed_flush_lsn::text as lsn from pg_replication_slots where slot_name = $1",
            [db.slotName],
          )
        ).rows[0]!.lsn,
      );
    const t1 = await db.insert([{ n: 1 }]);
    const t2 = await db.insert([{ n: 2 }]);
    await waitUntil(() => release !== undefined, "second transaction in onRows");
    await waitUntil(
      async () => (await confirmed()) >= parseLsn(commits[0]!.lsn),
      "the first transaction confirmed",
    );
    await reader.stop(); // gives up on the hung delivery: it stays unconfirmed
    release!();
    assert.ok((await confirmed()) < parseLsn(commits[1]!.lsn), "the second is not confirmed");

    const again: string[] = [];
    const restarted = readerFor(db, async (rows) => void again.push(...rows.map((r) => r.id)));
    await restarted.start();
    try {
      await waitUntil(() => again.includes(t2[0]!), "second transaction again");
      assert.ok(!again.includes(t1[0]!), "the confirmed first transaction is not read again");
    } finally {
      await restarted.stop();
    }
  });
});

test("a reader killed (SIGKILL) before confirming loses nothing: the restarted one reads every unconfirmed transaction", async () => {
  await withOutboxDb(async (db) => {
    await db.pool.query("create table received (id uuid, lsn text)");
    const child = spawnChild(db);
    try {
      // The child creates the slot: only transactions committed after that are decoded.
      await waitForLine(child, "streaming");
      // Two transactions committed back to back: their commit records are adjacent in the
      // WAL, where confirming one byte too far (the library's `lsn + 1`) would skip the second.
      const a = await db.pool.connect();
      const b = await db.pool.connect();
      let ids: { a: string; b: string };
      try {
        await a.query("begin");
        await b.query("begin");
        const ra = await a.query<{ id: string }>(
          `insert into opskit.outbox (id, aggregatetype, aggregateid, type, payload)
           values (gen_random_uuid(), 'order', 'a', 'x', '{"first": true}') returning id`,
        );
        const rb = await b.query<{ id: string }>(
          `insert into opskit.outbox (id, aggregatetype, aggregateid, type, payload)
           values (gen_random_uuid(), 'order', 'b', 'x', '{"hang": true}') returning id`,
        );
        ids = { a: ra.rows[0]!.id, b: rb.rows[0]!.id };
        await a.query("commit");
        await b.query("commit");
      } finally {
        a.release();
        b.release();
      }
      const later = await db.insert([{ later: 1 }]);
      await waitUntil(
        async () =>
          (await db.pool.query("select 1 from received where id = $1", [ids.b])).rowCount === 1,
        "the child received the second transaction",
      );
      // The first transaction's position reached the slot before the kill.
      const firstLsn = (
        await db.pool.query<{ lsn: string }>("select lsn from received where id = $1", [ids.a])
      ).rows[0]!.lsn;
      await waitUntil(
        async () =>
          (
            await db.pool.query(
              "select 1 from pg_replication_slots where slot_name = $1 and confirmed_flush_lsn >= $2::pg_lsn",
              [db.slotName, firstLsn],
            )
          ).rowCount === 1,
        "the first transaction confirmed",
      );
      child.kill("SIGKILL");
      await once(child, "exit");

      const again: LogicalOutboxRow[] = [];
      const restarted = readerFor(db, async (rows) => void again.push(...rows));
      await restarted.start();
      try {
        await waitUntil(() => again.some((r) => r.id === later[0]), "the later transaction");
        const ids2 = again.map((r) => r.id);
        assert.ok(ids2.includes(ids.b), "the unconfirmed transaction is read again");
        assert.ok(!ids2.includes(ids.a), "the confirmed one is not");
      } finally {
        await restarted.stop();
      }
    } finally {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGKILL");
        await once(child, "exit");
      }
    }
  });
});

test("a slot whose consumer hangs is dropped once its lag passes the budget; fallback fires and every row is left for polling", async () => {
  await withOutboxDb(async (db) => {
    const registry = new Registry();
    const fallbacks: LogicalOutboxReaderEvents["fallback"][] = [];
    let deliveries = 0;
    const reader = readerFor(
      db,
      async () => {
        deliveries++;
        await new Promise(() => undefined); // a consumer that never finishes
      },
      { maxSlotLagBytes: 1024 * 1024, registry, guardIntervalMs: 100 },
    );
    reader.on("fallback", (f) => void fallbacks.push(f));
    await reader.start();
    const ids = await db.insert([{ first: true }]);
    await waitUntil(() => deliveries === 1, "the first delivery started");
    await waitUntil(
      async () =>
        (await registry.metrics()).includes(`opskit_outbox_slot_lag_bytes{slot="${db.slotName}"}`),
      "lag gauge exported",
    );
    // Writes go on: ~64 KB of incompressible payload per transaction.
    for (let i = 0; fallbacks.length === 0 && i < 400; i++) {
      ids.push(...(await db.insert([{ blob: incompressible(64 * 1024) }])));
    }
    await waitUntil(() => fallbacks.length === 1, "fallback");
    assert.equal(fallbacks[0]!.reason, "lag-budget-exceeded");
    assert.ok(fallbacks[0]!.lagBytes! > 1024 * 1024);
    const slots = await db.pool.query("select 1 from pg_replication_slots where slot_name = $1", [
      db.slotName,
    ]);
    assert.equal(slots.rowCount, 0, "the slot is dropped");
    assert.equal(reader.running, false);
    assert.equal(deliveries, 1, "nothing was delivered past the hung transaction");
    const metrics = await registry.metrics();
    assert.match(
      metrics,
      new RegExp(`opskit_outbox_slot_dropped_total\\{slot="${db.slotName}"\\} 1`),
    );
    // Polling takes over from the relay's own watermark: every row is still in the table.
    const polled = await db.pool.query<{ id: string }>(
      "select id::text from opskit.outbox where position > 0 order by position",
    );
    assert.deepEqual(
      polled.rows.map((r) => r.id),
      ids,
    );
    await reader.stop();
  });
});

test("a slow onRows keeps its stream: status updates answer the walsender's timeout meanwhile", async () => {
  await withOutboxDb(async (db) => {
    const url = new URL(db.url);
    url.searchParams.set("options", "-c wal_sender_timeout=1000");
    const errors: Error[] = [];
    const delivered: string[] = [];
    const reader = createLogicalOutboxReader({
      connectionString: url.toString(),
      slotName: db.slotName,
      publicationName: db.publicationName,
      maxSlotLagBytes: 1024 ** 3,
      statusIntervalMs: 200,
      log: silent(),
      onRows: async (rows) => {
        // Three walsender timeouts long: without status updates the server ends the stream.
        if (delivered.length === 0) await new Promise((r) => setTimeout(r, 3000));
        delivered.push(...rows.map((r) => r.id));
      },
    });
    reader.on("error", (e) => void errors.push(e));
    await reader.start();
    try {
      const ids = [...(await db.insert([{ n: 1 }])), ...(await db.insert([{ n: 2 }]))];
      await waitUntil(() => ids.every((id) => delivered.includes(id)), "both delivered");
      assert.deepEqual(errors, [], "the stream never broke");
      assert.deepEqual(delivered, ids);
    } finally {
      await reader.stop();
    }
  });
});

test("the role must be allowed to replicate: a clear error, and nothing created", async () => {
  await withOutboxDb(async (db) => {
    const role = `t_norepl_${db.slotName.slice(-8)}`;
    await db.pool.query(`create role ${role} login password 'pw' noreplication`);
    try {
      await db.pool.query(
        `grant all on schema opskit to ${role}; grant all on opskit.outbox to ${role}`,
      );
      const url = new URL(db.url);
      url.username = role;
      url.password = "pw";
      const reader = createLogicalOutboxReader({
        connectionString: url.toString(),
        slotName: db.slotName,
        publicationName: db.publicationName,
        maxSlotLagBytes: 1024 ** 2,
        log: silent(),
        onRows: async () => undefined,
      });
      await assert.rejects(reader.start(), (error: Error & { code?: string }) => {
        assert.equal(error.code, "OUTBOX_LOGICAL_UNAVAILABLE");
        assert.match(error.message, /REPLICATION/);
        return true;
      });
      assert.equal(reader.running, false);
      const slots = await db.pool.query("select 1 from pg_replication_slots where slot_name = $1", [
        db.slotName,
      ]);
      assert.equal(slots.rowCount, 0);
    } finally {
      await db.pool.query(`drop owned by ${role}; drop role ${role}`);
    }
  });
});

test("bad names are refused before anything connects", () => {
  for (const [slotName, publicationName] of [
    ["Bad-Slot", "ok"],
    ["ok", "pub'; drop table x; --"],
    ["", "ok"],
  ] as const) {
    assert.throws(
      () =>
        createLogicalOutboxReader({
          connectionString: "postgres://127.0.0.1:1/x",
          slotName,
          publicationName,
          maxSlotLagBytes: 1,
          log: silent(),
          onRows: async () => undefined,
        }),
      (error: Error & { code?: string }) => error.code === "CONFIG_INVALID",
    );
  }
});

function spawnChild(db: OutboxTestDb): ChildProcess {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", path.join(import.meta.dirname, "reader-crash-child.ts")],
    {
      env: {
        ...process.env,
        OUTBOX_DB_URL: db.url,
        OUTBOX_SLOT: db.slotName,
        OUTBOX_PUBLICATION: db.publicationName,
      },
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  return child;
}

async function waitForLine(child: ChildProcess, line: string): Promise<void> {
  let seen = "";
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on("data", (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.includes(line)) resolve();
    });
    child.once("exit", (code) => reject(new Error(`the child exited (${code}) before "${line}"`)));
  });
}
