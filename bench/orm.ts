/**
 * `npm run bench -- orm [--quick]`: what enqueueing inside an ORM's
 * transaction costs. Each system runs transactions of "insert an order
 * through the library's own API" without and with `queue.add(…, { tx })`
 * through its executor (opskit/orm/*); pg's `withTransaction` is the anchor.
 * Interleaved rounds, medians; durable commits (fsync on).
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { PrismaPg } from "@prisma/adapter-pg";
import { drizzle } from "drizzle-orm/node-postgres";
import { bigint, bigserial, pgTable, text } from "drizzle-orm/pg-core";
import knex from "knex";
import { Kysely, PostgresDialect } from "kysely";
import pg from "pg";
import {
  createPool,
  startEmbeddedPostgres,
  withTransaction,
  type Queryable,
} from "../src/db/index.js";
import { createQueue, defineTask } from "../src/jobs/index.js";
import { fromDrizzle } from "../src/orm/drizzle-executor.js";
import { fromKnex } from "../src/orm/knex-executor.js";
import { fromKysely } from "../src/orm/kysely-executor.js";
import { fromPrisma } from "../src/orm/prisma-executor.js";
import { prepareTestTemplate } from "../src/testing/index.js";
import { PrismaClient } from "../test/fixtures/prisma/client/client.js";
import type { Benchmark } from "./harness.js";
import { median, round, versions } from "./harness.js";

const orders = pgTable("orm_orders", {
  id: bigserial("id", { mode: "bigint" }).primaryKey(),
  ref: text("ref").notNull().unique(),
  total: bigint("total", { mode: "bigint" }).notNull(),
});

/** One transaction: insert the order through the library, then `enqueue` with its executor. */
type RunTx = (ref: string, enqueue?: (tx: Queryable) => Promise<unknown>) => Promise<void>;

interface System {
  run: RunTx;
  close(): Promise<void>;
}

function systems(url: string): Map<string, System> {
  const pool = createPool({ connectionString: url, max: 2 });
  const kyselyDb = new Kysely<{ orm_orders: { ref: string; total: string } }>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 2 }) }),
  });
  const drizzlePool = new pg.Pool({ connectionString: url, max: 2 });
  const drizzleDb = drizzle({ client: drizzlePool });
  const knexDb = knex({ client: "pg", connection: url, pool: { min: 0, max: 2 } });
  const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: url, max: 2 }) });
  return new Map<string, System>([
    [
      "pg",
      {
        run: (ref, enqueue) =>
          withTransaction(pool, async (tx) => {
            await tx.query("insert into orm_orders (ref, total) values ($1, $2)", [ref, "1"]);
            await enqueue?.(tx);
          }),
        close: () => pool.end(),
      },
    ],
    [
      "prisma",
      {
        run: (ref, enqueue) =>
          prisma.$transaction(async (tx) => {
            await tx.order.create({ data: { ref, total: 1n } });
            await enqueue?.(fromPrisma(tx));
          }),
        close: () => prisma.$disconnect(),
      },
    ],
    [
      "kysely",
      {
        run: (ref, enqueue) =>
          kyselyDb.transaction().execute(async (trx) => {
            await trx.insertInto("orm_orders").values({ ref, total: "1" }).execute();
            await enqueue?.(fromKysely(trx));
          }),
        close: () => kyselyDb.destroy(),
      },
    ],
    [
      "drizzle",
      {
        run: (ref, enqueue) =>
          drizzleDb.transaction(async (tx) => {
            await tx.insert(orders).values({ ref, total: 1n });
            await enqueue?.(fromDrizzle(tx));
          }),
        close: () => drizzlePool.end(),
      },
    ],
    [
      "knex",
      {
        run: (ref, enqueue) =>
          knexDb.transaction(async (trx) => {
            await trx("orm_orders").insert({ ref, total: "1" });
            await enqueue?.(fromKnex(trx));
          }),
        close: () => knexDb.destroy(),
      },
    ],
  ]);
}

const bench: Benchmark = async ({ quick }) => {
  const rounds = quick ? 2 : 5;
  const perRound = quick ? 50 : 200;
  const tmp = await mkdtemp(path.join(os.tmpdir(), "opskit-bench-orm-"));
  const server = await startEmbeddedPostgres({
    dataDir: path.join(tmp, "pg"),
    port: 55_593,
    persistent: false,
    settings: { fsync: "on", synchronous_commit: "on" },
  });
  try {
    await prepareTestTemplate(server.url, "orm_bench");
    const url = server.urlFor("orm_bench");
    const setup = new pg.Client({ connectionString: url });
    await setup.connect();
    await setup.query(
      "create table orm_orders (id bigserial primary key, ref text not null unique, total bigint not null, details jsonb)",
    );
    await setup.end();
    const task = defineTask("orm_bench", () => Promise.resolve());
    const jobsPool = createPool({ connectionString: url, max: 1 });
    const queue = createQueue({ pool: jobsPool, tasks: [task] });
    const all = systems(url);
    // txPerSecond[system][variant] per round.
    const rates = new Map<string, { plain: number[]; enqueue: number[] }>();
    for (const key of all.keys()) rates.set(key, { plain: [], enqueue: [] });
    let serial = 0;
    for (let r = 0; r < rounds; r++) {
      for (const [key, system] of all) {
        for (const variant of ["plain", "enqueue"] as const) {
          const started = performance.now();
          for (let i = 0; i < perRound; i++) {
            const ref = `${key}-${serial++}`;
            await system.run(
              ref,
              variant === "enqueue" ? (tx) => queue.add(task, { ref }, { tx }) : undefined,
            );
          }
          rates.get(key)![variant].push((perRound * 1000) / (performance.now() - started));
        }
      }
    }
    for (const system of all.values()) await system.close();
    await queue.close();
    await jobsPool.end();
    const pgEnqueue = median(rates.get("pg")!.enqueue);
    const table = [...rates].map(([key, r]) => ({
      system: key,
      "tx/s insert": round(median(r.plain), 0),
      "tx/s insert+add": round(median(r.enqueue), 0),
      "add cost ms": round(1000 / median(r.enqueue) - 1000 / median(r.plain), 2),
      "insert+add vs pg": round(pgEnqueue / median(r.enqueue), 2),
    }));
    return {
      table,
      figures: { rounds, perRound, rates: Object.fromEntries(rates), loadavg: os.loadavg() },
      ratios: Object.fromEntries(table.map((t) => [t.system, t["insert+add vs pg"]])),
      versions: versions([
        "pg",
        "prisma",
        "@prisma/client",
        "@prisma/adapter-pg",
        "kysely",
        "drizzle-orm",
        "knex",
      ]),
    };
  } finally {
    await server.stop();
    await rm(tmp, { recursive: true, force: true });
  }
};

export default bench;
