import type { Queryable, QueryResultLike } from "../db/index.js";
import { statementOf, toKnexRaw } from "./sql-text.js";

/**
 * The part of Knex that raw SQL needs: a transaction (`knex.transaction(async
 * (trx) => …)`) or the instance, on Knex's pg client. Structural, so opskit
 * does not import Knex.
 */
export interface KnexRawRunner {
  raw(sql: string, bindings: readonly unknown[]): PromiseLike<unknown>;
}

/**
 * Turns a Knex transaction into the executor every opskit function takes,
 * so opskit's rows commit or roll back with the application's. Each `$n`
 * becomes one of Knex's `?` bindings (values are never written into the
 * text) and every literal `?` is escaped `\?`; Knex's pg client answers
 * with pg's own result, so values come back as pg parses them. A Knex
 * `postProcessResponse` hook (knexSnakeCaseMappers) also sees these
 * results; use an instance without it.
 *
 * @example
 * await knex.transaction(async (trx) => {
 *   await trx("orders").insert({ ref });
 *   await queue.add(sendReceipt, { ref }, { tx: fromKnex(trx) });
 * });
 */
export function fromKnex(trx: KnexRawRunner): Queryable {
  return {
    async query(query, values) {
      const statement = statementOf(query, values);
      const { sql, bindings } = toKnexRaw(statement.text, statement.values);
      const result = (await trx.raw(sql, bindings)) as Partial<QueryResultLike<never>> | undefined;
      if (!Array.isArray(result?.rows)) {
        throw new TypeError(
          "fromKnex needs Knex's pg client (client: 'pg'): its raw result has no rows array.",
        );
      }
      return { rows: result.rows, rowCount: result.rowCount ?? null };
    },
  };
}
