import { withClient, type Queryable } from "../db/index.js";
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
  return withClient(
    options.connectionString,
    { application_name: "opskit-migrate-status" },
    (client) => planMigrations(client, options.sources, schema),
  );
}
