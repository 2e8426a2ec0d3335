import type { Queryable, QueryResultLike } from "../db/index.js";
import { returnsRows, statementOf } from "./sql-text.js";

/**
 * The part of a Prisma client that raw SQL needs: the interactive
 * transaction's `tx` (`prisma.$transaction(async (tx) => …)`), or the client
 * itself outside a transaction. Prisma 7 with a driver adapter
 * (`@prisma/adapter-pg`); structural, so opskit does not import Prisma.
 */
export interface PrismaRawClient {
  $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): PromiseLike<T>;
  $executeRawUnsafe(query: string, ...values: unknown[]): PromiseLike<number>;
}

/**
 * Turns a Prisma transaction into the executor every opskit function takes
 * (`queue.add(…, { tx })`, `addMany`, `createJobsAdmin`, the inbox's and the
 * audit's functions), so opskit's rows commit or roll back with the
 * application's.
 *
 * A statement that answers rows (a query, or a change with `returning`)
 * runs through `$queryRawUnsafe`, any other through `$executeRawUnsafe`
 * for its count. Values come back as pg gives them: int8 as a string
 * (Prisma gives a BigInt), bytea as a Buffer. Prisma's raw queries cannot
 * read `interval` columns, and give numeric as a JS number.
 *
 * @example
 * await prisma.$transaction(async (tx) => {
 *   const order = await tx.order.create({ data: { ref } });
 *   await queue.add(sendReceipt, { orderId: String(order.id) }, { tx: fromPrisma(tx) });
 * });
 */
export function fromPrisma(tx: PrismaRawClient): Queryable {
  return {
    async query(query, values) {
      const statement = statementOf(query, values);
      if (returnsRows(statement.text)) {
        const rows = await tx.$queryRawUnsafe<Record<string, unknown>[]>(
          statement.text,
          ...statement.values,
        );
        const normalized = rows.map(asPgRow);
        return { rows: normalized, rowCount: normalized.length } as QueryResultLike<never>;
      }
      const count = await tx.$executeRawUnsafe(statement.text, ...statement.values);
      return { rows: [], rowCount: count };
    },
  };
}

function asPgRow(row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row)) out[key] = asPgValue(value);
  return out;
}

// pg's text parsers: int8 as a decimal string, bytea as a Buffer, arrays element by element.
function asPgValue(value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Uint8Array && !Buffer.isBuffer(value)) return Buffer.from(value);
  if (Array.isArray(value)) return value.map(asPgValue);
  if (isDecimal(value)) return value.toFixed();
  return value;
}

// Prisma's Decimal (decimal.js), by shape.
function isDecimal(value: unknown): value is { toFixed(): string } {
  if (value === null || typeof value !== "object") return false;
  const v = value as { d?: unknown; e?: unknown; s?: unknown; toFixed?: unknown };
  return (
    Array.isArray(v.d) &&
    typeof v.e === "number" &&
    typeof v.s === "number" &&
    typeof v.toFixed === "function"
  );
}
