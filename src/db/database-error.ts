/** A Postgres error found inside whatever a driver or an ORM threw. */
export interface FoundDatabaseError {
  /** The SQLSTATE: `23505`, `22P02` … */
  sqlstate: string;
  /** For the log only: never sent to a client. */
  constraint: string | undefined;
}

const SQLSTATE = /^[0-9A-Z]{5}$/;

// Prisma's codes for a violation reported without its SQLSTATE (engines without a driver adapter).
const PRISMA_SQLSTATES: Record<string, string> = {
  P2000: "22001",
  P2002: "23505",
  P2003: "23503",
  P2011: "23502",
  P2020: "22003",
};

/**
 * The Postgres error inside `thrown`, however the caller's library wrapped
 * it: pg's own `DatabaseError` (also as Kysely and Knex throw it), one in a
 * `cause` chain (Drizzle's `DrizzleQueryError`), or Prisma's
 * `PrismaClientKnownRequestError` (the driver adapter's error in
 * `meta.driverAdapterError`, its SQLSTATE in `cause.originalCode`; or a
 * P2002/P2003/P2011/P2000/P2020 code alone). Undefined when there is none.
 * By shape, not `instanceof`: a service may run its own copy of each library.
 *
 * @example
 * findDatabaseError(new DrizzleQueryError(sql, params, uniqueViolation)); // { sqlstate: "23505", … }
 */
export function findDatabaseError(thrown: unknown, depth = 0): FoundDatabaseError | undefined {
  if (depth > 6 || thrown === null || typeof thrown !== "object") return undefined;
  const e = thrown as {
    code?: unknown;
    severity?: unknown;
    constraint?: unknown;
    originalCode?: unknown;
    kind?: unknown;
    meta?: { driverAdapterError?: unknown };
    cause?: unknown;
  };
  // pg's DatabaseError (and a Prisma driver adapter's `{ kind: "postgres", code, severity }`).
  if (typeof e.severity === "string" && typeof e.code === "string" && SQLSTATE.test(e.code)) {
    return { sqlstate: e.code, constraint: asString(e.constraint) };
  }
  // A Prisma driver adapter's mapped error: `{ kind, originalCode, constraint?: { index } }`.
  if (typeof e.kind === "string" && typeof e.originalCode === "string") {
    if (SQLSTATE.test(e.originalCode)) {
      const index = (e.constraint as { index?: unknown } | undefined)?.index;
      return { sqlstate: e.originalCode, constraint: asString(index) };
    }
  }
  const fromAdapter = findDatabaseError(e.meta?.driverAdapterError, depth + 1);
  if (fromAdapter) return fromAdapter;
  const fromCause = findDatabaseError(e.cause, depth + 1);
  if (fromCause) return fromCause;
  const prisma = typeof e.code === "string" ? PRISMA_SQLSTATES[e.code] : undefined;
  if (prisma !== undefined) return { sqlstate: prisma, constraint: undefined };
  return undefined;
}

function asString(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}
