import { withClient, type Queryable } from "../db/index.js";
import { applyPrismaSchema } from "./prisma-history.js";
import { planMigrations, type MigrationSource, type MigrationStatus } from "./migration-plan.js";

/**
 * What `migrate` would do, without taking the lock or changing anything.
 *
 * @example
 * const { files } = await migrationStatus({ connectionString, sources });
 * const pending = files.filter((f) => f.state === "pending");
 */
export async function migrationStatus(
  options: { sources: MigrationSource[] } & ({ connectionString: string } | { db: Queryable }),
): Promise<MigrationStatus> {
  if ("db" in options) return planMigrations(options.db, options.sources);
  return withClient(
    options.connectionString,
    { application_name: "opskit-migrate-status" },
    async (client) => {
      await applyPrismaSchema(client, options.connectionString);
      return planMigrations(client, options.sources);
    },
  );
}
