import { randomUUID } from "node:crypto";
import { createScratchDatabase, withClient } from "../db/index.js";
import { OpskitError } from "../errors.js";
import { recordAudit } from "../audit/index.js";
import { ensureNativeTables } from "./adopt-history.js";
import { createHistorySql, qualified } from "./history.js";
import type { MigrationFailure } from "./migration-failure.js";
import { planMigrations, type MigrationSource } from "./migration-plan.js";
import { parseMigration } from "./parse-migration.js";
import { insertPrismaApplied } from "./prisma-history.js";
import { migrate } from "./runner.js";
import { withMigrationLockSession } from "./runner-session.js";
import { lockKeyOf, runnerIdentity } from "./runner.js";
import { diffSnapshots, schemaSnapshot } from "./schema-snapshot.js";
import { insertSupabaseRow } from "./supabase-history.js";

export interface BaselineOptions {
  /** The database whose existing schema is to be recorded as migrated. */
  connectionString: string;
  /** The service's directories (the toolkit's own source is left to `migrate up`). */
  sources: MigrationSource[];
  /** A server to replay the history on (a scratch database is created and dropped); default the target's. */
  serverUrl?: string;
  /** Record even though the schemas differ; the reason is kept in the audit log. */
  force?: { reason: string };
  /** Only compare: record nothing. */
  dryRun?: boolean;
  actor?: string;
}

export interface BaselineReport {
  /** `-`: the history creates it, the database lacks it; `+`: the database has it, the history does not. */
  differences: { op: "-" | "+"; line: string }[];
  /** Recorded as applied now (nothing when the schemas differ without force). */
  recorded: { source: string; name: string }[];
  /** Already applied before, left alone. */
  alreadyApplied: number;
  forced: boolean;
  /** The replay failed: nothing compared, nothing recorded. */
  error: MigrationFailure | undefined;
}

/**
 * Records an existing schema as migrated: replays the history on a scratch
 * database, compares its schema with the target's (schema-snapshot.ts: tables,
 * columns with type, nullability and default, constraints, indexes, views,
 * functions, enums, triggers, policies), and only when they are the same
 * (or `force` with a reason) records every migration not applied yet as
 * applied, in opskit's history and the other tool's table, with the audit
 * row (`migrate.baseline`), in one transaction under the migration lock.
 * Nothing of the migrations runs on the target.
 *
 * @example
 * const { differences, recorded } = await baselineMigrations({ connectionString, sources });
 */
export async function baselineMigrations(options: BaselineOptions): Promise<BaselineReport> {
  if (options.force && !options.force.reason.trim())
    throw new OpskitError("BAD_REQUEST", "--force needs a reason; it is kept in the audit log.");
  const sources = options.sources.filter((s) => s.source !== "opskit");
  const scratch = await createScratchDatabase(options.serverUrl ?? options.connectionString, {
    copy: false,
    prefix: "opskit_baseline",
  });
  let replayed: string[];
  try {
    const replay = await migrate({
      connectionString: scratch.url,
      sources,
      lockWaitMs: 5_000,
      checkPooler: false,
    });
    if (replay.error)
      return {
        differences: [],
        recorded: [],
        alreadyApplied: 0,
        forced: false,
        error: replay.error,
      };
    replayed = await withClient(scratch.url, { application_name: "opskit-baseline" }, (c) =>
      schemaSnapshot(c),
    );
  } finally {
    await scratch.drop();
  }
  const key = lockKeyOf({});
  return withMigrationLockSession(options.connectionString, key, async (client) => {
    try {
      const differences = diffSnapshots(replayed, await schemaSnapshot(client));
      const forced = differences.length > 0 && options.force !== undefined;
      if ((differences.length > 0 && !forced) || options.dryRun)
        return { differences, recorded: [], alreadyApplied: 0, forced, error: undefined };
      await client.query(createHistorySql());
      await ensureNativeTables(client, sources);
      const status = await planMigrations(client, sources);
      const todo = status.files.filter((f) => f.state === "pending" || f.state === "out_of_order");
      const blocking = status.files.find(
        (f) => !["applied", "pending", "out_of_order"].includes(f.state),
      );
      if (blocking) {
        throw new OpskitError(
          "CONFLICT",
          `${blocking.source}/${blocking.name} is ${blocking.state}: resolve it before a baseline (see docs/runbooks/failed-migration.md).`,
        );
      }
      const actor = options.actor ?? runnerIdentity();
      const runId = randomUUID();
      await client.query("begin");
      for (const file of todo) {
        await client.query(
          `insert into ${qualified("schema_migrations")}
             (source, name, checksum, duration_ms, run_id, applied_by) values ($1, $2, $3, 0, $4, $5)`,
          [file.source, file.name, file.checksum, runId, actor],
        );
        if (file.native?.kind === "prisma")
          await insertPrismaApplied(client, file.native.table, {
            name: file.name,
            checksum: file.native.checksum,
          });
        if (file.native?.kind === "supabase") {
          const parsed = await parseMigration(file.sql);
          await insertSupabaseRow(
            client,
            file.name,
            parsed.statements.map((s) => s.sql),
          );
        }
      }
      await recordAudit(client, {
        actor,
        action: "migrate.baseline",
        target: sources.map((s) => `${s.source}: ${s.dir}`).join(", "),
        params: {
          recorded: todo.map((f) => `${f.source}/${f.name}`),
          forced,
          ...(forced ? { reason: options.force!.reason, differences } : {}),
        },
        result: forced ? "recorded despite differences" : "recorded",
      });
      await client.query("commit");
      return {
        differences,
        recorded: todo.map((f) => ({ source: f.source, name: f.name })),
        alreadyApplied: status.files.length - todo.length,
        forced,
        error: undefined,
      };
    } catch (error) {
      await client.query("rollback").catch(() => undefined);
      throw error;
    }
  });
}
