import pg from "pg";

const quoteIdent = (name: string) => pg.escapeIdentifier(name);
import { qualified } from "./history.js";
import { describeFailure, type MigrationFailure } from "./migration-failure.js";
import { migrationChecksum } from "./migration-files.js";
import type { PreparedMigration } from "./migration-mode.js";
import { finishPrismaRow, insertPrismaApplied, insertPrismaStarted } from "./prisma-history.js";
import { insertSupabaseRow } from "./supabase-history.js";

export interface ApplyContext {
  runId: string;
  appliedBy: string;
  /** Told about repairs made before a retry (an INVALID index dropped). */
  onNote: (note: string) => void;
}

/**
 * Applies one prepared file. Throws nothing for a failing statement: the
 * failure is returned, with the file, line and SQLSTATE.
 */
export async function applyMigration(
  client: pg.Client,
  file: PreparedMigration,
  ctx: ApplyContext,
): Promise<MigrationFailure | undefined> {
  return file.transactional
    ? applyTransactional(client, file, ctx)
    : applyStatementByStatement(client, file, ctx);
}

/** One file in one transaction, with its history row written inside it. */
async function applyTransactional(
  client: pg.Client,
  file: PreparedMigration,
  ctx: ApplyContext,
): Promise<MigrationFailure | undefined> {
  const started = performance.now();
  try {
    await client.query("begin");
    await client.query(
      "select set_config('lock_timeout', $1, true), set_config('statement_timeout', $2, true)",
      [file.lockTimeout, file.statementTimeout],
    );
    // Statement by statement inside the transaction (the same semantics as
    // sending the file whole): a failure then names its own statement's line
    // even when Postgres gives no position (0A000, 42P07, 55000, …).
    const failure = await runStatements(client, file, true);
    if (failure) {
      await client.query("rollback").catch(() => undefined);
      return failure;
    }
    await insertHistory(client, file, ctx, started);
    await writeNativeRow(client, file, false);
    await client.query("commit");
    return undefined;
  } catch (thrown) {
    await client.query("rollback").catch(() => undefined);
    return describeFailure(thrown, file);
  }
}

/**
 * Statements Postgres refuses inside a transaction block run one by one. After
 * each, the progress row records how many are done (committed on its own), so
 * a rerun after a failure or a crash resumes at the statement that did not
 * finish; the history row is written, and the progress row removed, in one
 * transaction once the last statement succeeded.
 */
async function applyStatementByStatement(
  client: pg.Client,
  file: PreparedMigration,
  ctx: ApplyContext,
): Promise<MigrationFailure | undefined> {
  const started = performance.now();
  const progress = qualified("schema_migration_progress");
  const from = file.statementsDone ?? 0;
  if (from > 0 && doneChecksum(file, from) !== file.doneChecksum) {
    return {
      code: "MIGRATION_CHECKSUM_MISMATCH",
      source: file.source,
      file: file.name,
      message:
        `${file.name}: its first ${from} statement(s) already ran and have been edited since. ` +
        "Only the statements not yet run may change; restore the others (or finish by hand and accept).",
    };
  }
  await client.query(
    "select set_config('lock_timeout', $1, false), set_config('statement_timeout', $2, false)",
    [file.lockTimeout, file.statementTimeout],
  );
  try {
    // As Prisma does for every file: a started row first, finished at the
    // end; a failure in between leaves a row `prisma migrate status` calls failed.
    if (file.native?.kind === "prisma" && from === 0 && file.nativeRecord?.state !== "failed")
      await insertPrismaStarted(client, file.native.table, {
        name: file.name,
        checksum: file.native.checksum,
      });
    for (let i = from; i < file.statements.length; i++) {
      const statement = file.statements[i]!;
      try {
        await dropInvalidIndexLeftBehind(client, statement.ast, ctx);
        await client.query(statement.sql);
      } catch (thrown) {
        return describeFailure(thrown, file, statement.start, false);
      }
      await client.query(
        `insert into ${progress} (source, name, checksum, statements_done, run_id) values ($1, $2, $3, $4, $5)
         on conflict (source, name) do update
           set statements_done = excluded.statements_done, checksum = excluded.checksum,
               run_id = excluded.run_id, updated_at = now()`,
        [file.source, file.name, doneChecksum(file, i + 1), i + 1, ctx.runId],
      );
    }
    await client.query("begin");
    await insertHistory(client, file, ctx, started);
    await writeNativeRow(client, file, true);
    await client.query(`delete from ${progress} where source = $1 and name = $2`, [
      file.source,
      file.name,
    ]);
    await client.query("commit");
    return undefined;
  } finally {
    await client.query("rollback").catch(() => undefined);
    await client.query("reset lock_timeout; reset statement_timeout").catch(() => undefined);
  }
}

/**
 * Runs a file's statements in order on the caller's connection; the first
 * failure is returned with its own statement's line (`rolledBack`: whether
 * the caller's transaction undoes the statements before it).
 */
export async function runStatements(
  client: pg.Client,
  file: PreparedMigration,
  rolledBack: boolean,
): Promise<MigrationFailure | undefined> {
  for (const statement of file.statements) {
    try {
      await client.query(statement.sql);
    } catch (thrown) {
      return describeFailure(thrown, file, statement.start, rolledBack);
    }
  }
  return undefined;
}

/** The other tool's row for a file opskit applied, in the caller's transaction. */
async function writeNativeRow(
  client: pg.Client,
  file: PreparedMigration,
  started: boolean,
): Promise<void> {
  const native = file.native;
  if (!native) return;
  if (native.kind === "supabase") {
    await insertSupabaseRow(
      client,
      file.name,
      file.statements.map((s) => s.sql),
    );
    return;
  }
  const row = { name: file.name, checksum: native.checksum };
  if (started) await finishPrismaRow(client, native.table, row);
  else await insertPrismaApplied(client, native.table, row);
}

async function insertHistory(
  client: pg.Client,
  file: PreparedMigration,
  ctx: ApplyContext,
  started: number,
): Promise<void> {
  await client.query(
    `insert into ${qualified("schema_migrations")}
       (source, name, checksum, duration_ms, run_id, applied_by) values ($1, $2, $3, $4, $5, $6)
     on conflict (source, name) do update
       set checksum = excluded.checksum, duration_ms = excluded.duration_ms,
           run_id = excluded.run_id, applied_by = excluded.applied_by, applied_at = now()`,
    [
      file.source,
      file.name,
      file.checksum,
      Math.round(performance.now() - started),
      ctx.runId,
      ctx.appliedBy,
    ],
  );
}

/**
 * A CREATE INDEX CONCURRENTLY that failed or was killed leaves its index
 * behind, INVALID: the retry would fail with 42P07 ("already exists"), or
 * with IF NOT EXISTS silently keep an index that is never used. Before the
 * statement runs, such an index of the same name is dropped (concurrently).
 */
async function dropInvalidIndexLeftBehind(
  client: pg.Client,
  ast: unknown,
  ctx: ApplyContext,
): Promise<void> {
  const index = (
    ast as {
      IndexStmt?: {
        concurrent?: boolean;
        idxname?: string;
        relation?: { schemaname?: string; relname?: string };
      };
    }
  ).IndexStmt;
  if (!index?.concurrent || !index.idxname || !index.relation?.relname) return;
  // An index lives in its table's schema; the table is found as the statement would find it.
  const table = index.relation.schemaname
    ? `${quoteIdent(index.relation.schemaname)}.${quoteIdent(index.relation.relname)}`
    : quoteIdent(index.relation.relname);
  const { rows } = await client.query<{ name: string }>(
    `select format('%I.%I', n.nspname, c.relname) as name
       from pg_index i join pg_class c on c.oid = i.indexrelid join pg_namespace n on n.oid = c.relnamespace
      where c.relname = $1 and not i.indisvalid
        and c.relnamespace = (select relnamespace from pg_class where oid = to_regclass($2))`,
    [index.idxname, table],
  );
  const invalid = rows[0]?.name;
  if (!invalid) return;
  await client.query(`drop index concurrently if exists ${invalid}`);
  ctx.onNote(
    `dropped the INVALID index ${invalid} left by an earlier failed build, before retrying it`,
  );
}

/** Checksum of the first `n` statements' text: what a resumed run must find unchanged. */
function doneChecksum(file: PreparedMigration, n: number): string {
  return migrationChecksum(
    file.statements
      .slice(0, n)
      .map((s) => s.sql)
      .join("\n;\n"),
  );
}
