import pg from "pg";
import type { Queryable } from "./history.js";
import { planMigrations, type MigrationSource, type MigrationStatus } from "./migration-plan.js";
import { DEFAULT_SCHEMA } from "./runner.js";

/**
 * What `migrate` would do, without taking the lock or changing anything.
 *
 * @example
 * const { files } = await migrationStatus({ connectionString, sources });
 * const pending = files.filter((f) => f.state === "pending");
 */
export async function migrationStatus(
  options: { sources: MigrationSource[]; schema?: string } & (
    { connectionString: string } | { db: Queryable }
  ),
): Promise<MigrationStatus> {
  const schema = options.schema ?? DEFAULT_SCHEMA;
  if ("db" in options) return planMigrations(options.db, options.sources, schema);
  const client = new pg.Client({
    connectionString: options.connectionString,
    application_name: "opskit-migrate-status",
  });
  await client.connect();
  try {
    return await planMigrations(client, options.sources, schema);
  } finally {
    await client.end();
  }
}
