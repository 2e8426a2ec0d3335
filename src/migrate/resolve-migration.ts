import { randomUUID } from "node:crypto";
import { OpskitError } from "../errors.js";
import { recordAudit } from "../audit/index.js";
import { ensureNativeTables } from "./adopt-history.js";
import { createHistorySql, qualified } from "./history.js";
import { planMigrations, type MigrationSource, type MigrationState } from "./migration-plan.js";
import { parseMigration } from "./parse-migration.js";
import { insertPrismaApplied } from "./prisma-history.js";
import { withMigrationLockSession } from "./runner-session.js";
import { lockKeyOf, runnerIdentity } from "./runner.js";
import { insertSupabaseRow } from "./supabase-history.js";

export interface ResolveOptions {
  connectionString: string;
  sources: MigrationSource[];
  /** The migration's name (`0042_x.sql`, or a Prisma folder name). */
  name: string;
  /**
   * - `rolled-back`: what it applied was undone by hand; it runs again (from
   *   its first statement) on the next `up`.
   * - `applied`: it was finished by hand (or its schema exists already);
   *   recorded as applied, nothing is run.
   */
  as: "rolled-back" | "applied";
  actor?: string;
  lockName?: string;
}

export interface Resolved {
  source: string;
  name: string;
  as: ResolveOptions["as"];
  /** The state before. */
  was: MigrationState;
  /** Tables written besides opskit's (`"public"."_prisma_migrations"`). */
  native: string | undefined;
}

const RESOLVABLE: Record<ResolveOptions["as"], MigrationState[]> = {
  "rolled-back": ["failed", "partial"],
  applied: ["failed", "partial", "pending", "out_of_order"],
};

/**
 * Marks a failed migration rolled back or applied, in opskit's history and
 * in the other tool's table (Prisma's `_prisma_migrations`, as `prisma
 * migrate resolve` would; Supabase's has no failed state), with the audit
 * row in the same transaction, under the migration lock. Nothing of the
 * migration is executed.
 *
 * @example
 * await resolveMigration({ connectionString, sources, name: "20240312b_backfill_orders", as: "rolled-back" });
 */
export async function resolveMigration(options: ResolveOptions): Promise<Resolved> {
  const key = lockKeyOf(options);
  return withMigrationLockSession(options.connectionString, key, async (client) => {
    try {
      await client.query(createHistorySql());
      await ensureNativeTables(client, options.sources);
      const status = await planMigrations(client, options.sources);
      const file = status.files.find((f) => f.name === options.name);
      if (!file) throw new OpskitError("NOT_FOUND", `No migration named ${options.name}.`);
      if (!RESOLVABLE[options.as].includes(file.state)) {
        throw new OpskitError(
          "CONFLICT",
          `${file.source}/${file.name} is ${file.state}: only a ${RESOLVABLE[options.as].join(", ")} migration can be resolved as ${options.as}.`,
        );
      }
      const native = file.native;
      await client.query("begin");
      await client.query(
        `delete from ${qualified("schema_migration_progress")} where source = $1 and name = $2`,
        [file.source, file.name],
      );
      if (native?.kind === "prisma") {
        // `prisma migrate resolve` does the same: the failed attempts are rolled back;
        // --applied then records a finished row of its own.
        await client.query(
          `update ${native.table} set rolled_back_at = now()
            where migration_name = $1 and finished_at is null and rolled_back_at is null`,
          [file.name],
        );
      }
      if (options.as === "rolled-back") {
        await client.query(
          `delete from ${qualified("schema_migrations")} where source = $1 and name = $2`,
          [file.source, file.name],
        );
      } else {
        await client.query(
          `insert into ${qualified("schema_migrations")}
             (source, name, checksum, duration_ms, run_id, applied_by) values ($1, $2, $3, 0, $4, $5)
           on conflict (source, name) do update set checksum = excluded.checksum`,
          [file.source, file.name, file.checksum, randomUUID(), options.actor ?? runnerIdentity()],
        );
        if (native?.kind === "prisma")
          await insertPrismaApplied(client, native.table, {
            name: file.name,
            checksum: native.checksum,
          });
        if (native?.kind === "supabase") {
          const parsed = await parseMigration(file.sql);
          await insertSupabaseRow(
            client,
            file.name,
            parsed.statements.map((s) => s.sql),
          );
        }
      }
      await recordAudit(client, {
        actor: options.actor ?? runnerIdentity(),
        action: "migrate.resolve",
        target: `${file.source}/${file.name}`,
        params: { as: options.as, was: file.state, native: native?.table ?? null },
        result: options.as,
      });
      await client.query("commit");
      return {
        source: file.source,
        name: file.name,
        as: options.as,
        was: file.state,
        native: native?.table,
      };
    } catch (error) {
      await client.query("rollback").catch(() => undefined);
      throw error;
    }
  });
}
