import { CompiledQuery, type Kysely } from "kysely";
import type { Queryable, QueryResultLike } from "../db/index.js";
import { statementOf } from "./sql-text.js";

/**
 * Turns a Kysely transaction (`db.transaction().execute(async (trx) => …)`)
 * or instance into the executor every opskit function takes, so opskit's
 * rows commit or roll back with the application's. Kysely's Postgres
 * dialect runs pg underneath, so values come back as pg parses them. The
 * statement runs without the instance's plugins (a CamelCasePlugin would
 * rename opskit's columns); `$n` parameters pass as they are.
 *
 * @example
 * await db.transaction().execute(async (trx) => {
 *   await trx.insertInto("orders").values({ ref }).execute();
 *   await queue.add(sendReceipt, { ref }, { tx: fromKysely(trx) });
 * });
 */
// Any database schema: opskit's statements name their own tables.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function fromKysely(db: Kysely<any>): Queryable {
  const plain = db.withoutPlugins();
  return {
    async query(query, values) {
      const statement = statementOf(query, values);
      const result = await plain.executeQuery<Record<string, unknown>>(
        CompiledQuery.raw(statement.text, statement.values),
      );
      // Kysely reports a count only for insert, update, delete and merge; pg counts a query's rows.
      const rowCount =
        result.numAffectedRows !== undefined ? Number(result.numAffectedRows) : result.rows.length;
      return { rows: result.rows, rowCount } as QueryResultLike<never>;
    },
  };
}
