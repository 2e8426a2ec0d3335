import { CamelCasePlugin, Kysely, PostgresDialect, type Generated } from "kysely";
import pg from "pg";
import { executorContract } from "../../test/orm-contract.js";
import { fromKysely } from "./kysely-executor.js";

interface Database {
  orm_orders: { id: Generated<string>; ref: string; total: string; details: string | null };
}

executorContract({
  name: "Kysely",
  open(url) {
    // CamelCasePlugin on purpose: the executor must run opskit's statements without it.
    const db = new Kysely<Database>({
      dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 4 }) }),
      plugins: [new CamelCasePlugin()],
    });
    return Promise.resolve({
      transaction: (fn) =>
        db.transaction().execute((trx) =>
          fn({
            executor: fromKysely(trx),
            async insertOrder(ref, total, details) {
              await trx
                .insertInto("orm_orders")
                .values({ ref, total: total.toString(), details: JSON.stringify(details) })
                .execute();
            },
          }),
        ),
      close: () => db.destroy(),
    });
  },
});
