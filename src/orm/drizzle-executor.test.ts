import { drizzle } from "drizzle-orm/node-postgres";
import { bigint, bigserial, jsonb, pgTable, text } from "drizzle-orm/pg-core";
import pg from "pg";
import { executorContract } from "../../test/orm-contract.js";
import { fromDrizzle } from "./drizzle-executor.js";

const orders = pgTable("orm_orders", {
  id: bigserial("id", { mode: "bigint" }).primaryKey(),
  ref: text("ref").notNull().unique(),
  total: bigint("total", { mode: "bigint" }).notNull(),
  details: jsonb("details"),
});

executorContract({
  name: "Drizzle (node-postgres)",
  open(url) {
    const pool = new pg.Pool({ connectionString: url, max: 4 });
    const db = drizzle({ client: pool });
    return Promise.resolve({
      transaction: (fn) =>
        db.transaction((tx) =>
          fn({
            executor: fromDrizzle(tx),
            async insertOrder(ref, total, details) {
              await tx.insert(orders).values({ ref, total, details });
            },
          }),
        ),
      close: () => pool.end(),
    });
  },
});
