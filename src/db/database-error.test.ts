import assert from "node:assert/strict";
import { test } from "node:test";
import { isOpskitError } from "../errors.js";
import { findDatabaseError, isDependencyFailure, mapDbError } from "./index.js";

// The ORM executors' tests (src/orm/*-executor.test.ts) fail real statements and
// refuse real connections through each library. These are the shapes they cannot
// cheaply provoke: Prisma's other outage codes, its initialization error, an adapter's
// closed-connection kind, Knex's pool timeout, and Prisma codes without a SQLSTATE.

function prismaError(code: string, driverAdapterCause?: Record<string, unknown>) {
  const error = Object.assign(new Error(`prisma ${code}`), {
    code,
    clientVersion: "7.10.1",
    meta: driverAdapterCause
      ? { driverAdapterError: Object.assign(new Error("adapter"), { cause: driverAdapterCause }) }
      : {},
  });
  return error;
}

test("Prisma's outage codes, its initialization error and adapter kinds are DEPENDENCY_FAILURE", () => {
  const outages: unknown[] = [
    prismaError("P1001"),
    prismaError("P1002"),
    prismaError("P1008"),
    prismaError("P1017"),
    Object.assign(new Error("Can't reach database server"), { errorCode: "P1001" }),
    prismaError("P2010", { kind: "ConnectionClosed" }),
    prismaError("P2010", { kind: "SocketTimeout" }),
    prismaError("P2010", { kind: "TooManyConnections", cause: "too many", originalCode: "53300" }),
    new Error("Knex: Timeout acquiring a connection. The pool is probably full."),
  ];
  for (const error of outages) {
    const mapped = mapDbError(error);
    assert.ok(isOpskitError(mapped, "DEPENDENCY_FAILURE"), String(error));
    assert.equal(isDependencyFailure(error), true);
  }
  for (const error of [prismaError("P2002"), prismaError("P2025"), prismaError("P2010")]) {
    assert.equal(mapDbError(error), error, String(error));
  }
});

test("findDatabaseError reads pg's error, a cause chain, Prisma's adapter error and bare P codes", () => {
  const pgShape = { code: "23505", severity: "ERROR", constraint: "orders_ref_key" };
  assert.deepEqual(findDatabaseError(pgShape), { sqlstate: "23505", constraint: "orders_ref_key" });
  assert.deepEqual(findDatabaseError(new Error("drizzle", { cause: pgShape })), {
    sqlstate: "23505",
    constraint: "orders_ref_key",
  });
  const adapter = prismaError("P2010", {
    kind: "ForeignKeyConstraintViolation",
    originalCode: "23503",
    constraint: { index: "lines_order_fk" },
  });
  assert.deepEqual(findDatabaseError(adapter), { sqlstate: "23503", constraint: "lines_order_fk" });
  assert.deepEqual(findDatabaseError(prismaError("P2003")), {
    sqlstate: "23503",
    constraint: undefined,
  });
  assert.equal(findDatabaseError(prismaError("P2025")), undefined);
  assert.equal(findDatabaseError(new Error("plain")), undefined);
  assert.equal(findDatabaseError({ code: "ECONNREFUSED" }), undefined);
});
