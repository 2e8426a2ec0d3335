import pg from "pg";
import { describeConnectionTarget } from "../db/index.js";
import { OpskitError } from "../errors.js";
import { countUserTables } from "./row-counts.js";
import { readSystemIdentifier } from "./snapshot-facts.js";

/** What identifies a database: its server's system identifier and its name. */
export interface DatabaseIdentity {
  systemIdentifier: string | null;
  database: string;
  /** host:port/database, for when the identifier cannot be read. */
  target: string;
  /** `pg_postmaster_start_time()`: tells the running source from a physical copy of it (same identifier). */
  serverStartedAt?: string | null;
}

/** Reads a database's identity (and, in passing, how many user tables it holds). */
export async function readIdentity(
  url: string,
): Promise<DatabaseIdentity & { userTables: number }> {
  const client = new pg.Client({ connectionString: url, application_name: "opskit-backup" });
  await client.connect();
  try {
    await client.query("begin read only");
    const { d: database, started } = (
      await client.query<{ d: string; started: string }>(
        "select current_database() as d, pg_postmaster_start_time()::text as started",
      )
    ).rows[0]!;
    const systemIdentifier = await readSystemIdentifier(client);
    const userTables = await countUserTables(client);
    await client.query("commit");
    return {
      systemIdentifier,
      database,
      target: describeConnectionTarget(url),
      serverStartedAt: started,
      userTables,
    };
  } finally {
    await client.end();
  }
}

/**
 * Same system identifier and database name. With `physicalCopies`, a
 * physical copy (a point-in-time restore keeps the source's system
 * identifier) is told apart from the source itself by the server's start
 * time: only the same running server is the same database.
 */
export function sameDatabase(
  a: DatabaseIdentity,
  b: DatabaseIdentity,
  physicalCopies = false,
): boolean {
  if (a.database !== b.database) return false;
  if (physicalCopies && a.serverStartedAt && b.serverStartedAt) {
    if (a.serverStartedAt !== b.serverStartedAt) return false;
  }
  if (a.systemIdentifier !== null && b.systemIdentifier !== null) {
    return a.systemIdentifier === b.systemIdentifier;
  }
  return a.target === b.target; // an identifier could not be read: fall back to the address
}

/**
 * The rule every restore and every drill of someone else's restore obeys:
 * the target is never the source (same system identifier and database name;
 * a restore "into production" is a different runbook, done by hand), and a
 * target that holds user tables is refused unless `replace` says they may go.
 */
export async function guardTarget(
  targetUrl: string,
  sources: DatabaseIdentity[],
  options: { replace: boolean; allowTables?: boolean; physicalCopies?: boolean },
): Promise<DatabaseIdentity & { userTables: number }> {
  const target = await readIdentity(targetUrl);
  const source = sources.find((s) => sameDatabase(s, target, options.physicalCopies));
  if (source) {
    throw new OpskitError(
      "BACKUP_TARGET_REFUSED",
      `The target ${target.target} is the source database (system identifier ${target.systemIdentifier ?? "unreadable"}, database "${target.database}"): refusing to touch it. Restore into another server or database.`,
    );
  }
  if (target.userTables > 0 && !options.replace && !options.allowTables) {
    throw new OpskitError(
      "BACKUP_TARGET_REFUSED",
      `The target ${target.target} has ${target.userTables} user tables; give --replace (replace: true) to drop and replace them, or restore into an empty database.`,
    );
  }
  return target;
}
