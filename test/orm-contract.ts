/**
 * One contract for every ORM executor (src/orm/*-executor.test.ts): opskit's
 * rows commit and roll back with the application's rows written through the
 * ORM's own API, a worker runs the committed job, values come back as pg
 * gives them, and a failing statement maps to the same opskit error as pg's.
 */
import assert from "node:assert/strict";
import net from "node:net";
import { test } from "node:test";
import { z } from "zod";
import { recordAudit } from "../src/audit/index.js";
import { mapDbError, type Pool, type Queryable } from "../src/db/index.js";
import { isOpskitError } from "../src/errors.js";
import { postgresClientError } from "../src/http/index.js";
import { createInboxAdmin } from "../src/inbox/index.js";
import { createJobsAdmin, createQueue, defineTask } from "../src/jobs/index.js";
import { count, waitUntil, withPool } from "./jobs.js";

/** What a test needs of one ORM, on one database. */
export interface OrmSession {
  /** Runs `fn` in the ORM's transaction; a throw rolls it back. */
  transaction<T>(fn: (tx: OrmTx) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface OrmTx {
  /** The executor under test, made from the ORM's transaction object. */
  executor: Queryable;
  /** Inserts an order through the ORM's own API (not raw SQL). */
  insertOrder(ref: string, total: bigint, details: unknown): Promise<void>;
}

export interface OrmHarness {
  name: string;
  open(url: string): Promise<OrmSession>;
}

export const ORDERS_DDL = `create table orm_orders (
  id bigserial primary key,
  ref text not null unique,
  total bigint not null,
  details jsonb
)`;

const BIG = 9_007_199_254_740_993n; // 2^53 + 1: not a safe JS number
const PAYLOAD = {
  orderRef: "A-1",
  total: BIG.toString(),
  lines: [{ sku: "ü-€-😀", qty: 2, note: null }],
  nested: { deep: { flag: true, ratio: 0.125 } },
};

async function withSession<T>(
  harness: OrmHarness,
  fn: (session: OrmSession, pool: Pool) => Promise<T>,
): Promise<T> {
  return withPool(async (pool, db) => {
    await pool.query(ORDERS_DDL);
    const session = await harness.open(db.url);
    try {
      return await fn(session, pool);
    } finally {
      await session.close();
    }
  });
}

/** A port nothing listens on: one the kernel gave and took back. */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Declares the contract's tests for one ORM. */
export function executorContract(harness: OrmHarness): void {
  const received: unknown[] = [];
  const receipt = defineTask(
    "orm_receipt",
    (payload) => {
      received.push(payload);
      return Promise.resolve();
    },
    {
      schema: z.object({
        orderRef: z.string(),
        total: z.string(),
        lines: z.array(z.object({ sku: z.string(), qty: z.number(), note: z.null() })),
        nested: z.object({ deep: z.object({ flag: z.boolean(), ratio: z.number() }) }),
      }),
    },
  );
  const note = defineTask("orm_note", () => Promise.resolve());

  test(`${harness.name}: the jobs, the audit row and the app's row commit together; a worker runs the job`, async () => {
    await withSession(harness, async (session, pool) => {
      const queue = createQueue({ pool, tasks: [receipt, note] });
      const added = await session.transaction(async (tx) => {
        await tx.insertOrder("A-1", BIG, { gift: true, to: "Zoë" });
        const job = await queue.add(receipt, PAYLOAD, { tx: tx.executor, dedupeKey: "A-1" });
        const again = await queue.add(receipt, PAYLOAD, { tx: tx.executor, dedupeKey: "A-1" });
        assert.deepEqual(again, { id: job.id, deduplicated: true });
        const many = await queue.addMany(
          [
            { task: note, payload: { n: 1 } },
            { task: "orm_note", payload: { n: 2 }, delayMs: 3_600_000 },
          ],
          { tx: tx.executor },
        );
        await recordAudit(tx.executor, { actor: "ada", action: "orders.create", result: "ok" });
        // The admin handle on the same transaction sees the uncommitted jobs.
        const admin = createJobsAdmin(tx.executor);
        const found = await admin.find(job.id);
        assert.equal(found?.state, "ready");
        const stats = await admin.stats();
        assert.equal(
          stats.reduce((n, s) => n + s.ready + s.scheduled, 0),
          3,
        );
        assert.deepEqual(await admin.rescue(), { retried: 0, dead: 0, cancelled: 0 });
        // The operator's writes on the same transaction (resume selects a void function).
        await admin.pause("default");
        await admin.setConcurrency("default", 4);
        await admin.resume("default");
        assert.equal(await admin.cancel(many[0]!.id), "cancelled");
        assert.equal(await admin.retryDead(job.id), false);
        const inbox = createInboxAdmin(tx.executor);
        assert.deepEqual(await inbox.findEventsByDedupeKey("none"), []);
        // Outside the transaction nothing is visible yet.
        assert.equal(await count(pool, "select 1 from opskit.jobs"), 0);
        return { job, many };
      });
      assert.match(added.job.id, /^\d+$/);
      assert.equal(added.job.deduplicated, false);
      assert.equal(added.many.length, 2);
      assert.ok(added.many.every((m) => /^\d+$/.test(m.id) && !m.deduplicated));
      const { rows } = await pool.query("select ref, total, details from orm_orders");
      assert.deepEqual(rows, [
        { ref: "A-1", total: BIG.toString(), details: { gift: true, to: "Zoë" } },
      ]);
      // One of the three was cancelled in the transaction: it moved to the history.
      assert.equal(await count(pool, "select 1 from opskit.jobs"), 2);
      assert.deepEqual(
        (
          await pool.query(
            "select paused, concurrency from opskit.job_queues where name = 'default'",
          )
        ).rows,
        [{ paused: false, concurrency: 4 }],
      );
      assert.equal(
        await count(pool, "select 1 from opskit.audit_log where action = 'orders.create'"),
        1,
      );

      const worker = queue.work({ pollIntervalMs: 50, maintenance: false });
      try {
        await waitUntil(
          async () => (await queue.get(added.job.id))?.state === "completed",
          "job completed",
        );
      } finally {
        await worker.stop();
      }
      assert.deepEqual(received.at(-1), PAYLOAD);
    });
  });

  test(`${harness.name}: a throw rolls back the jobs, the audit row and the app's row together`, async () => {
    await withSession(harness, async (session, pool) => {
      const queue = createQueue({ pool, tasks: [receipt, note] });
      await assert.rejects(
        session.transaction(async (tx) => {
          await tx.insertOrder("B-1", 1n, null);
          await queue.add(receipt, PAYLOAD, { tx: tx.executor });
          await queue.addMany([{ task: note, payload: {} }], { tx: tx.executor });
          await recordAudit(tx.executor, { actor: "ada", action: "orders.create", result: "ok" });
          throw new Error("the application's work failed");
        }),
        /the application's work failed/,
      );
      assert.equal(await count(pool, "select 1 from orm_orders"), 0);
      assert.equal(await count(pool, "select 1 from opskit.jobs"), 0);
      assert.equal(await count(pool, "select 1 from opskit.audit_log"), 0);
    });
  });

  test(`${harness.name}: values and parameters round-trip as with pg`, async () => {
    await withSession(harness, async (session, pool) => {
      const text = `select $1::int8 as big, $2::int8[] as bigs, $3::json as doc, $4::jsonb as docb,
        $5::timestamptz as at, $6::text as nothing, $7::bytea as bytes, 42::int4 as small,
        true as yes, 'it''s $1 and ? and ?? -- not a comment' as literal,
        $$ $2 ? $$ as dollar, '{"a":1}'::jsonb ? 'a' as has_key, $1::int8 + 1 as big_again`;
      const values = [
        BIG.toString(),
        ["1", BIG.toString()],
        JSON.stringify(PAYLOAD),
        JSON.stringify({ k: [1, "two", { three: 3 }] }),
        new Date("2026-01-02T03:04:05.678Z"),
        null,
        Buffer.from([0, 1, 254, 255]),
      ];
      const expected = await pool.query(text, values);
      const viaOrm = await session.transaction((tx) => tx.executor.query(text, values));
      assert.deepEqual(viaOrm.rows, expected.rows);
      assert.equal(viaOrm.rowCount, 1);
      // The config form of a call, as the worker's statements use it.
      const config = await session.transaction((tx) =>
        tx.executor.query({ text: "select $1::text as v", values: ["x"], name: "ignored_name" }),
      );
      assert.deepEqual(config.rows, [{ v: "x" }]);
      // rowCount: a change without returning counts its rows; with returning, rows and count agree.
      await pool.query(
        "insert into orm_orders (ref, total) values ('r1', 1), ('r2', 2), ('r3', 3)",
      );
      const changed = await session.transaction(async (tx) => ({
        update: await tx.executor.query(
          "update orm_orders set total = total + 1 where total > $1",
          [1],
        ),
        returning: await tx.executor.query(
          "with gone as (select id from orm_orders where ref = $1) delete from orm_orders where id in (select id from gone) returning ref",
          ["r1"],
        ),
      }));
      assert.equal(changed.update.rowCount, 2);
      assert.deepEqual(changed.update.rows, []);
      assert.deepEqual(changed.returning.rows, [{ ref: "r1" }]);
      assert.equal(changed.returning.rowCount, 1);
    });
  });

  test(`${harness.name}: a unique violation maps to the same opskit error as pg's`, async () => {
    await withSession(harness, async (session, pool) => {
      await pool.query("insert into orm_orders (ref, total) values ('dup', 1)");
      const pgError = await pool
        .query("insert into orm_orders (ref, total) values ('dup', 2)")
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      const expected = postgresClientError(pgError);
      assert.equal(expected?.code, "CONFLICT");
      // Through the executor (raw SQL) and through the ORM's own API.
      const viaExecutor = await session
        .transaction((tx) =>
          tx.executor.query("insert into orm_orders (ref, total) values ($1, 2)", ["dup"]),
        )
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      const viaOrm = await session
        .transaction((tx) => tx.insertOrder("dup", 3n, null))
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      for (const thrown of [viaExecutor, viaOrm]) {
        assert.ok(thrown, "the insert must fail");
        const mapped = postgresClientError(thrown);
        assert.deepEqual(
          {
            code: mapped?.code,
            status: mapped?.status,
            sqlstate: mapped?.sqlstate,
            message: mapped?.message,
          },
          {
            code: expected.code,
            status: expected.status,
            sqlstate: "23505",
            message: expected.message,
          },
        );
        assert.equal(mapDbError(thrown), thrown, "a violation is not an outage");
      }
      // A data exception and a foreign key the same way.
      await pool.query(
        "create table orm_lines (order_id bigint not null references orm_orders (id))",
      );
      for (const [sql, code] of [
        ["select $1::int as n", "BAD_REQUEST"],
        ["insert into orm_lines values ($1)", "CONFLICT"],
      ] as const) {
        const value = code === "BAD_REQUEST" ? "not a number" : "999999";
        const thrown = await session
          .transaction((tx) => tx.executor.query(sql, [value]))
          .then(
            () => undefined,
            (e: unknown) => e,
          );
        const fromPg = await pool.query(sql, [value]).then(
          () => undefined,
          (e: unknown) => e,
        );
        assert.equal(postgresClientError(thrown)?.code, code);
        assert.equal(postgresClientError(thrown)?.sqlstate, postgresClientError(fromPg)?.sqlstate);
      }
    });
  });

  test(`${harness.name}: a refused connection maps to DEPENDENCY_FAILURE`, async () => {
    const port = await closedPort();
    const session = await harness.open(`postgres://postgres:x@127.0.0.1:${port}/postgres`);
    try {
      const thrown = await session
        .transaction((tx) => tx.executor.query("select 1"))
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      const mapped = mapDbError(thrown);
      assert.ok(isOpskitError(mapped), `not mapped: ${String(thrown)}`);
      assert.equal(mapped.code, "DEPENDENCY_FAILURE");
      assert.equal(mapped.status, 503);
      assert.equal(postgresClientError(thrown), undefined);
    } finally {
      await session.close();
    }
  });
}
