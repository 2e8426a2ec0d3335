import type { MigrationFailure } from "./migration-failure.js";
import type { MigrationStatus, PlannedMigration } from "./migration-plan.js";

/**
 * The refusal for a migration another tool recorded as failed (Prisma: a
 * `_prisma_migrations` row neither finished nor rolled back): the run
 * stops before anything, naming the file and the commands that fit.
 */
export function failedRowProblem(
  file: PlannedMigration,
  status: MigrationStatus,
): MigrationFailure {
  const dir = status.sources.find((s) => s.source === file.source)?.dir ?? "DIR";
  const record = file.nativeRecord;
  const table = file.native?.table ?? "_prisma_migrations";
  const since = record?.startedAt ? ` (started ${record.startedAt.toISOString()})` : "";
  return {
    code: "MIGRATION_PREVIOUSLY_FAILED",
    source: file.source,
    file: file.name,
    message:
      `${file.source}/${file.name} failed in an earlier run${since}: ${table} has its row neither ` +
      "finished nor rolled back, so it may be half applied. Nothing was run. Check what it left " +
      "(its logs column says what failed), then either undo what it applied and mark it rolled back " +
      `(it runs again on the next up): \`opskit migrate resolve --rolled-back ${file.name} --dir ${dir}\` ` +
      `(or \`npx prisma migrate resolve --rolled-back ${file.name}\`); or, if you finished it by hand, ` +
      `mark it applied: \`opskit migrate resolve --applied ${file.name} --dir ${dir}\` ` +
      `(or \`npx prisma migrate resolve --applied ${file.name}\`). See docs/runbooks/failed-migration.md.`,
  };
}
