import { OpskitError } from "../errors.js";
import type { ServicePart } from "../service-part.js";
import { pendingMigrationsCheck } from "./pending-migrations-check.js";
import { migrate } from "./runner.js";

/**
 * Role `migrate` and `all`: applies every declared migration directory (the
 * toolkit's own first) under the runner's lock before any other part starts.
 * A failure stops the boot with `MIGRATION_FAILED`; the database is as it was
 * before the failed file.
 */
export function migrationsPart(): ServicePart {
  return {
    name: "migrations",
    roles: ["migrate", "all"],
    async start(ctx) {
      const log = ctx.log.child({ category: "migrate" });
      const outcome = await migrate({
        // The runner's lock is a session advisory lock: past any transaction-mode pooler.
        connectionString: ctx.sessionUrl,
        sources: [...ctx.migrations],
        onStaleLockTerminated: (holder) =>
          log.warn({ holder }, "terminated a stale migration runner session holding the lock"),
        onLockWait: (holder, waitedMs) =>
          log.warn({ holder, waited_ms: waitedMs }, "waiting for the migration lock"),
        onApplied: (r) =>
          log.info(
            {
              migration: r.name,
              source: r.source,
              duration_ms: r.durationMs,
              transactional: r.transactional,
              ...(r.notes.length ? { notes: r.notes } : {}),
            },
            "migration applied",
          ),
      });
      if (outcome.error) {
        throw new OpskitError("MIGRATION_FAILED", outcome.error.message, {
          details: { ...outcome.error },
        });
      }
      log.info({ applied: outcome.results.length }, "migrations up to date");
    },
  };
}

/**
 * Role `api` (which never migrates): readiness fails while any declared
 * migration is pending, so traffic waits for role `migrate` to finish.
 */
export function pendingMigrationsPart(): ServicePart {
  return {
    name: "pending_migrations",
    roles: ["api"],
    start: (ctx) => ctx.health.addCheck(pendingMigrationsCheck(ctx.pool, [...ctx.migrations])),
  };
}
