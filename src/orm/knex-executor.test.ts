import knex from "knex";
import { executorContract } from "../../test/orm-contract.js";
import { fromKnex } from "./knex-executor.js";

executorContract({
  name: "Knex (pg)",
  open(url) {
    const db = knex({ client: "pg", connection: url, pool: { min: 0, max: 4 } });
    return Promise.resolve({
      transaction: (fn) =>
        db.transaction((trx) =>
          fn({
            executor: fromKnex(trx),
            async insertOrder(ref, total, details) {
              await trx("orm_orders").insert({
                ref,
                total: total.toString(),
                details: JSON.stringify(details),
              });
            },
          }),
        ),
      close: () => db.destroy(),
    });
  },
});
