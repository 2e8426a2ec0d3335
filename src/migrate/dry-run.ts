import pg from "pg";
import { withClient } from "../db/index.js";
import { toError } from "../errors.js";
import { createHistorySql } from "./history.js";
import { findPrechecks, runPrechecks, type PrecheckResult } from "./data-prechecks.js";
import { runStatements } from "./apply-migration.js";
import type { MigrationFailure } from "./migration-failure.js";
import { prepareMigration, type PreparedMigration } from "./migration-mode.js";
import { planMigrations, runnable, type MigrationSource } from "./migration-plan.js";
import { blockingProblem } from "./runner.js";
import { applyPrismaSchema } from "./prisma-history.js";
import { createScratchDatabase } from "../db/index.js";
import { restoreSequences, snapshotSequences } from "./sequence-state.js";

export interface DryRunOptions {
  connectionString: string;
  sources: MigrationSource[];
  /** Default 5 s, as for a real run; a header directive overrides it per file. */
  lockTimeoutMs?: number;
  statementTimeoutMs?: number;
  allowOutOfOrder?: boolean;
  /** Bound on each read-only data precheck; default 30 s. */
  precheckTimeoutMs?: number;
}

export interface LockTaken {
  relation: string;
  mode: string;
}

export interface DryRunFile {
  source: string;
  name: string;
  transactional: boolean;
  status: "ok" | "failed" | "not_run";
  durationMs: number;
  /** Relation locks the file took (for a file run statement by statement: not observed). */
  locks: LockTaken[];
  /** Tables whose storage was rewritten (their relfilenode changed): a full-table rewrite under lock. */
  rewrites: string[];
  failure?: MigrationFailure;
}

export interface DryRunReport {
  /** `rolled_back`: on the target, in one transaction rolled back; `clone`: on a scratch copy, dropped. */
  mode: "rolled_back" | "clone";
  /** For `clone`: how the copy was made (CREATE DATABASE … TEMPLATE, or pg_dump when the target was in use). */
  copy?: "template" | "dump";
  files: DryRunFile[];
  prechecks: PrecheckResult[];
  /** The first failure (a refused plan, a parse error, or a failing statement). */
  error: MigrationFailure | undefined;
  /** No failure and no precheck found violating rows. */
  ok: boolean;
}

/**
 * Applies the pending migrations to the target and leaves it exactly as it
 * found it, schema and data (sequences included: `nextval` ignores rollback,
 * so their positions are put back). Before that, read-only data prechecks
 * count the rows that would make a data-dependent operation fail (NULLs
 * under SET NOT NULL, duplicates under a new UNIQUE, orphans under a new
 * foreign key, rows violating a new CHECK).
 *
 * When every pending file is transactional they run on the target in one
 * transaction that is rolled back, observing per file the locks taken, the
 * tables rewritten and the duration. A file that must run outside a
 * transaction (CREATE INDEX CONCURRENTLY, …) cannot be rolled back, so then
 * the whole plan runs on a scratch copy of the target, which is dropped.
 *
 * The target's locks are real while the transaction is open (an ACCESS
 * EXCLUSIVE lock blocks the target's traffic for the file's duration, under
 * the same lock_timeout as a real run): point it at a production-shaped
 * copy, or at production in a quiet moment.
 *
 * @example
 * const report = await dryRunMigrations({ connectionString: stagingUrl, sources });
 * if (!report.ok) console.error(report.error ?? report.prechecks.filter((p) => p.violations));
 */
export async function dryRunMigrations(options: DryRunOptions): Promise<DryRunReport> {
  return withClient(
    options.connectionString,
    { application_name: "opskit-migrate-dry-run" },
    async (client) => {
      await applyPrismaSchema(client, options.connectionString);
      const status = await planMigrations(client, options.sources);
      const blocked = blockingProblem(status, options.allowOutOfOrder ?? false);
      if (blocked) return report("rolled_back", [], [], blocked);
      const { rows } = await client.query<{ v: string }>(
        "select current_setting('server_version_num') as v",
      );
      const pgVersion = Math.floor(Number(rows[0]?.v) / 10000);
      const timeouts = {
        lockTimeoutMs: options.lockTimeoutMs ?? 5_000,
        statementTimeoutMs: options.statementTimeoutMs ?? 0,
      };
      const files: PreparedMigration[] = [];
      for (const file of runnable(status, options.allowOutOfOrder ?? false)) {
        const ready = await prepareMigration(file, timeouts, pgVersion);
        if (!("transactional" in ready)) return report("rolled_back", [], [], ready);
        files.push(ready);
      }
      const prechecks = await runPrechecks(
        client,
        files.flatMap(findPrechecks),
        options.precheckTimeoutMs ?? 30_000,
      );
      if (files.every((f) => f.transactional)) {
        return await onTarget(client, files, prechecks);
      }
      // This session would keep the target from serving as a template for the copy.
      await client.end();
      const scratch = await createScratchDatabase(options.connectionString, {
        copy: true,
        prefix: "opskit_dry_run",
      });
      try {
        return await withClient(
          scratch.url,
          { application_name: "opskit-migrate-dry-run" },
          async (copy) => {
            await applyPrismaSchema(copy, options.connectionString);
            await copy.query(createHistorySql());
            const observed = await observe(copy, files, true);
            return {
              ...report("clone", observed, prechecks, observed.find((f) => f.failure)?.failure),
              copy: scratch.method === "dump" ? ("dump" as const) : ("template" as const),
            };
          },
        );
      } finally {
        await scratch.drop();
      }
    },
  );
}

async function onTarget(
  client: pg.Client,
  files: PreparedMigration[],
  prechecks: PrecheckResult[],
): Promise<DryRunReport> {
  const sequences = await snapshotSequences(client);
  try {
    await client.query("begin");
    await client.query(createHistorySql());
    const observed = await observe(client, files, false);
    return report("rolled_back", observed, prechecks, observed.find((f) => f.failure)?.failure);
  } finally {
    await client.query("rollback").catch(() => undefined);
    await restoreSequences(client, sequences);
  }
}

function report(
  mode: DryRunReport["mode"],
  files: DryRunFile[],
  prechecks: PrecheckResult[],
  error: MigrationFailure | undefined,
): DryRunReport {
  return { mode, files, prechecks, error, ok: !error && prechecks.every((p) => !p.violations) };
}

/**
 * Runs the files in order, observing each. `ownTransactions`: each file
 * commits (on a scratch copy); otherwise every file runs inside the caller's
 * open transaction. Stops at the first failure; the rest are `not_run`.
 */
async function observe(
  client: pg.Client,
  files: PreparedMigration[],
  ownTransactions: boolean,
): Promise<DryRunFile[]> {
  const out: DryRunFile[] = [];
  let failed = false;
  for (const file of files) {
    const base = { source: file.source, name: file.name, transactional: file.transactional };
    if (failed) {
      out.push({ ...base, status: "not_run", durationMs: 0, locks: [], rewrites: [] });
      continue;
    }
    const storage = await relfilenodes(client);
    const started = performance.now();
    let locks: LockTaken[] = [];
    let failure: MigrationFailure | undefined;
    if (file.transactional) {
      const before = ownTransactions ? [] : await heldLocks(client);
      if (ownTransactions) await client.query("begin");
      await client.query(
        "select set_config('lock_timeout', $1, true), set_config('statement_timeout', $2, true)",
        [file.lockTimeout, file.statementTimeout],
      );
      failure = await runStatements(client, file, true);
      if (!failure) {
        const after = await heldLocks(client);
        const seen = new Set(before.map((l) => `${l.relation}\0${l.mode}`));
        locks = after.filter((l) => !seen.has(`${l.relation}\0${l.mode}`));
        if (ownTransactions) await client.query("commit");
      } else if (ownTransactions) {
        await client.query("rollback");
      }
    } else {
      await client.query(
        "select set_config('lock_timeout', $1, false), set_config('statement_timeout', $2, false)",
        [file.lockTimeout, file.statementTimeout],
      );
      failure = await runStatements(client, file, false);
    }
    const durationMs = Math.round(performance.now() - started);
    if (failure) {
      failed = true;
      out.push({ ...base, status: "failed", durationMs, locks, rewrites: [], failure });
      continue;
    }
    const rewritten = await relfilenodes(client);
    const rewrites = [...storage]
      .filter(
        ([oid, node]) =>
          rewritten.get(oid)?.node !== undefined && rewritten.get(oid)?.node !== node.node,
      )
      .map(([, n]) => n.name);
    out.push({ ...base, status: "ok", durationMs, locks, rewrites });
  }
  return out;
}

const USER_RELATIONS = `c.relnamespace not in (select oid from pg_namespace where nspname in ('pg_catalog', 'information_schema') or nspname like 'pg_toast%' or nspname like 'pg_temp%')`;

/** Relation-level locks this session holds, on user relations only. */
async function heldLocks(client: pg.Client): Promise<LockTaken[]> {
  const { rows } = await client.query<LockTaken>(
    `select format('%I.%I', n.nspname, c.relname) as relation, l.mode
       from pg_locks l join pg_class c on c.oid = l.relation join pg_namespace n on n.oid = c.relnamespace
      where l.pid = pg_backend_pid() and l.locktype = 'relation' and l.granted and ${USER_RELATIONS}
      order by 1, 2`,
  );
  return rows;
}

/** Storage file of every user table and materialized view; a change means a rewrite. */
async function relfilenodes(
  client: pg.Client,
): Promise<Map<number, { node: number; name: string }>> {
  const { rows } = await client
    .query<{ oid: number; node: number; name: string }>(
      `select c.oid, c.relfilenode as node, format('%I.%I', n.nspname, c.relname) as name
         from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where c.relkind in ('r', 'm') and ${USER_RELATIONS}`,
    )
    .catch((error: unknown) => {
      // An aborted transaction cannot be queried; the caller is reporting a failure anyway.
      if ((error as { code?: string }).code === "25P02") return { rows: [] };
      throw toError(error);
    });
  return new Map(rows.map((r) => [r.oid, { node: r.node, name: r.name }]));
}
