import type { Pool } from "../db/index.js";
import type { HealthCheck } from "../health/index.js";
import { migrationStatus } from "./migration-status.js";
import type { MigrationSource } from "./migration-plan.js";

/**
 * Readiness for role `api`: fails while the database has migrations not
 * applied yet. Migrations are forward-only, so once everything is applied the
 * answer is kept and the check stops querying.
 */
export function pendingMigrationsCheck(pool: Pool, sources: MigrationSource[]): HealthCheck {
  let upToDate = false;
  return {
    name: "migrations",
    measurement: "pending",
    componentType: "datastore",
    async run() {
      if (upToDate) return { observedValue: 0, observedUnit: "migrations", status: "pass" };
      const status = await migrationStatus({ db: pool, sources });
      const pending = status.files.filter((f) => f.state !== "applied").length;
      upToDate = pending === 0;
      return {
        observedValue: pending,
        observedUnit: "migrations",
        status: pending === 0 ? "pass" : "fail",
        ...(pending
          ? { output: `${pending} migration(s) not applied; run role migrate first` }
          : {}),
      };
    },
  };
}
