import { randomUUID } from "node:crypto";
import os from "node:os";
import pg from "pg";
import { OpskitError, toError } from "../errors.js";
import { loadMigrationFiles, type MigrationFile } from "./migration-files.js";
import { createHistorySql, qualified, readHistory, type Queryable } from "./history.js";
import { acquireMigrationLock, releaseMigrationLock, type LockHolder } from "./migration-lock.js";

/** A directory of migrations and the name its history rows carry. */
export interface MigrationSource {
  /** `opskit` for the toolkit's own schema, `app` for the service's. */
  source: string;
  dir: string;
}

export interface MigrateOptions {
  connectionString: string;
  /** Applied in this order: the toolkit's own first. */
  sources: MigrationSource[];
  /** Schema of the history table; default `opskit`. */
  schema?: string;
  /** How long to wait for another runner's lock; default 60 s. */
  lockWaitMs?: number;
  /** `lock_timeout` for each migration's statements; default 5 s. */
  lockTimeoutMs?: number;
  /** `statement_timeout` for each migration's statements; default 0 (none). */
  statementTimeoutMs?: number;
  onLockWait?: (holder: LockHolder | undefined, waitedMs: number) => void;
  onApplied?: (result: MigrationResult) => void;
}

export interface MigrationFailure {
  code: "MIGRATION_FAILED" | "MIGRATION_CHECKSUM_MISMATCH" | "MIGRATION_LOCK_TIMEOUT" | "INTERNAL";
  message: string;
  source?: string;
  file?: string;
  /** 1-based line of the failing statement's position in the file. */
  line?: number;
  sqlstate?: string;
}

export interface MigrationResult {
  source: string;
  name: string;
  status: "applied" | "failed";
  durationMs: number;
}

/** Results are returned, not thrown: `error` is set when the run stopped early. */
export interface MigrateOutcome {
  error: MigrationFailure | undefined;
  results: MigrationResult[];
}

export interface PlannedMigration extends MigrationFile {
  source: string;
  state: "applied" | "pending" | "changed";
}

/** Applied / pending / changed for every file, plus applied rows whose file is gone. */
export interface MigrationStatus {
  files: PlannedMigration[];
  missing: { source: string; name: string }[];
}

const SCHEMA = "opskit";

/**
 * Applies pending migrations, each in its own transaction with its history row
 * written inside that transaction (a crash leaves nothing to resolve), under a
 * session advisory lock so two runners never interleave. A changed applied
 * file stops the run before anything is applied.
 *
 * @example
 * const { error, results } = await migrate({ connectionString, sources: [{ source: "app", dir: "migrations" }] });
 */
export async function migrate(options: MigrateOptions): Promise<MigrateOutcome> {
  const schema = options.schema ?? SCHEMA;
  const table = qualified(schema, "schema_migrations");
  const client = new pg.Client({
    connectionString: options.connectionString,
    application_name: "opskit-migrate",
  });
  await client.connect();
  const results: MigrationResult[] = [];
  try {
    await acquireMigrationLock(client, {
      table,
      timeoutMs: options.lockWaitMs ?? 60_000,
      onWait: options.onLockWait ?? (() => undefined),
    });
    try {
      await client.query(createHistorySql(schema));
      const status = await planWith(client, options.sources, schema);
      const changed = status.files.find((f) => f.state === "changed");
      if (changed) {
        return {
          results,
          error: {
            code: "MIGRATION_CHECKSUM_MISMATCH",
            source: changed.source,
            file: changed.name,
            message: `${changed.name} was changed after it was applied. Restore the applied content and add a new migration for the change.`,
          },
        };
      }
      const runId = randomUUID();
      const appliedBy = `${os.userInfo().username}@${os.hostname()}`;
      for (const file of status.files.filter((f) => f.state === "pending")) {
        const started = performance.now();
        try {
          await client.query("begin");
          await client.query(
            `select set_config('lock_timeout', $1, true), set_config('statement_timeout', $2, true)`,
            [`${options.lockTimeoutMs ?? 5_000}ms`, `${options.statementTimeoutMs ?? 0}ms`],
          );
          await client.query(file.sql);
          const durationMs = Math.round(performance.now() - started);
          await client.query(
            `insert into ${table} (source, name, checksum, duration_ms, run_id, applied_by) values ($1, $2, $3, $4, $5, $6)`,
            [file.source, file.name, file.checksum, durationMs, runId, appliedBy],
          );
          await client.query("commit");
          const result: MigrationResult = {
            source: file.source,
            name: file.name,
            status: "applied",
            durationMs,
          };
          results.push(result);
          options.onApplied?.(result);
        } catch (thrown) {
          await client.query("rollback").catch(() => undefined);
          const durationMs = Math.round(performance.now() - started);
          results.push({ source: file.source, name: file.name, status: "failed", durationMs });
          return { results, error: describeFailure(thrown, file) };
        }
      }
      return { results, error: undefined };
    } finally {
      await releaseMigrationLock(client, table).catch(() => undefined);
    }
  } catch (thrown) {
    if (thrown instanceof OpskitError && thrown.code === "MIGRATION_LOCK_TIMEOUT") {
      return { results, error: { code: thrown.code, message: thrown.message } };
    }
    return { results, error: { code: "INTERNAL", message: toError(thrown).message } };
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * What `migrate` would do, without taking the lock or changing anything.
 *
 * @example
 * const { files } = await migrationStatus({ connectionString, sources });
 * const pending = files.filter((f) => f.state === "pending");
 */
export async function migrationStatus(
  options: Pick<MigrateOptions, "sources" | "schema"> &
    ({ connectionString: string } | { db: Queryable }),
): Promise<MigrationStatus> {
  if ("db" in options) return planWith(options.db, options.sources, options.schema ?? SCHEMA);
  const client = new pg.Client({
    connectionString: options.connectionString,
    application_name: "opskit-migrate-status",
  });
  await client.connect();
  try {
    return await planWith(client, options.sources, options.schema ?? SCHEMA);
  } finally {
    await client.end();
  }
}

async function planWith(
  client: Queryable,
  sources: MigrationSource[],
  schema: string,
): Promise<MigrationStatus> {
  const history = await readHistory(client, schema);
  const applied = new Map(history.map((h) => [`${h.source}\0${h.name}`, h]));
  const files: PlannedMigration[] = [];
  const seen = new Set<string>();
  for (const { source, dir } of sources) {
    for (const file of await loadMigrationFiles(dir)) {
      const key = `${source}\0${file.name}`;
      seen.add(key);
      const row = applied.get(key);
      const state =
        row === undefined ? "pending" : row.checksum === file.checksum ? "applied" : "changed";
      files.push({ ...file, source, state });
    }
  }
  const missing = history
    .filter((h) => !seen.has(`${h.source}\0${h.name}`))
    .map((h) => ({ source: h.source, name: h.name }));
  return { files, missing };
}

function describeFailure(thrown: unknown, file: PlannedMigration): MigrationFailure {
  const error = toError(thrown) as Error & { code?: string; position?: string };
  const position = Number(error.position);
  const line =
    Number.isFinite(position) && position > 0
      ? file.sql.slice(0, position - 1).split("\n").length
      : undefined;
  return {
    code: "MIGRATION_FAILED",
    source: file.source,
    file: file.name,
    line,
    sqlstate: typeof error.code === "string" ? error.code : undefined,
    message: `${file.name}${line ? `:${line}` : ""}: ${error.message}. Nothing of this migration was applied; fix the file and run again.`,
  };
}
