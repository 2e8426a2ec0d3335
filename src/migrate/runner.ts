import { randomUUID } from "node:crypto";
import os from "node:os";
import type pg from "pg";
import { applyMigration } from "./apply-migration.js";
import { prepareMigration, type PreparedMigration } from "./migration-mode.js";
import { assertSessionPooling } from "../db/index.js";
import { OpskitError, toError } from "../errors.js";
import { recordAudit } from "../audit/index.js";
import { createHistorySql, qualified } from "./history.js";
import type { MigrationFailure } from "./migration-failure.js";
import {
  acquireMigrationLock,
  releaseMigrationLock,
  type LockHolder,
  type LockKey,
} from "./migration-lock.js";
import {
  planMigrations,
  runnable,
  type MigrationSource,
  type MigrationStatus,
} from "./migration-plan.js";
import { openRunnerSession, type RunnerSessionOptions } from "./runner-session.js";
import { adoptNativeHistory, ensureNativeTables, type Adopted } from "./adopt-history.js";
import { failedRowProblem } from "./resolve-advice.js";

export interface MigrateOptions extends RunnerSessionOptions {
  connectionString: string;
  /** Applied in this order: the toolkit's own first. */
  sources: MigrationSource[];
  /** What the advisory lock is keyed on; default the database and the history table. */
  lockName?: string;
  /** How long to wait for another runner's lock; default 60 s. */
  lockWaitMs?: number;
  /**
   * A lock holder that is a runner session idle this long is an orphan and is
   * terminated (and audited); default 60 s; 0 never terminates.
   */
  staleLockMs?: number;
  /** `lock_timeout` for each migration's statements; default 5 s. */
  lockTimeoutMs?: number;
  /** `statement_timeout` for each migration's statements; default 0 (none). */
  statementTimeoutMs?: number;
  /** Apply unapplied files that sort before the newest applied one; default false. */
  allowOutOfOrder?: boolean;
  /** Refuse a transaction-mode pooler before anything (the db area's probe); default true. */
  checkPooler?: boolean;
  onLockWait?: (holder: LockHolder | undefined, waitedMs: number) => void;
  onStaleLockTerminated?: (holder: LockHolder) => void;
  onApplied?: (result: MigrationResult) => void;
  /** Told what was brought over from `_prisma_migrations` / Supabase's table (or back). */
  onAdopted?: (adopted: Adopted) => void;
}

export type { MigrationFailure } from "./migration-failure.js";

export interface MigrationResult {
  source: string;
  name: string;
  status: "applied" | "failed";
  durationMs: number;
  /** false: run statement by statement outside a transaction (see migration-mode.ts). */
  transactional: boolean;
  /** Repairs made on the way (an INVALID index from an earlier failed build dropped). */
  notes: string[];
}

/** Results are returned, not thrown: `error` is set when the run stopped early. */
export interface MigrateOutcome {
  error: MigrationFailure | undefined;
  results: MigrationResult[];
}

/** The runner's lock key, unless `lockName` overrides it. */
export function lockKeyOf(options: { lockName?: string }): LockKey {
  return { name: options.lockName ?? qualified("schema_migrations") };
}

/**
 * Applies pending migrations, each in its own transaction with its history row
 * written inside that transaction (a crash leaves nothing to resolve), under a
 * session advisory lock so two runners never interleave. Before anything is
 * applied, the run stops on a changed applied file, a duplicate version
 * prefix, or an unapplied file that sorts before the newest applied one.
 *
 * @example
 * const { error, results } = await migrate({ connectionString, sources: [{ source: "app", dir: "migrations" }] });
 */
export async function migrate(options: MigrateOptions): Promise<MigrateOutcome> {
  const key = lockKeyOf(options);
  const results: MigrationResult[] = [];
  let client: pg.Client | undefined;
  try {
    if (options.checkPooler ?? true)
      await assertSessionPooling(options.connectionString, "migrate");
    const session = await openRunnerSession(options.connectionString, options);
    client = session.client;
    const timeouts = {
      lockTimeoutMs: options.lockTimeoutMs ?? 5_000,
      statementTimeoutMs: options.statementTimeoutMs ?? 0,
    };
    const terminated: LockHolder[] = [];
    await acquireMigrationLock(client, {
      key,
      timeoutMs: options.lockWaitMs ?? 60_000,
      staleMs: options.staleLockMs ?? 60_000,
      onWait: options.onLockWait ?? (() => undefined),
      onStaleTerminated: (holder) => {
        terminated.push(holder);
        options.onStaleLockTerminated?.(holder);
      },
    });
    try {
      await client.query(createHistorySql());
      for (const holder of terminated) {
        await recordAudit(client, {
          actor: runnerIdentity(),
          action: "migrate.terminate_stale_lock_holder",
          target: `pid ${holder.pid}`,
          params: { ...holder },
          result: "terminated",
        });
      }
      await ensureNativeTables(client, options.sources);
      let status = await planMigrations(client, options.sources);
      const blocked = blockingProblem(status, options.allowOutOfOrder ?? false);
      if (blocked) return { results, error: blocked };
      const adopted = await adoptNativeHistory(client, status, runnerIdentity());
      if (adopted.mirrored.length + adopted.backfilled.length > 0) {
        options.onAdopted?.(adopted);
        status = await planMigrations(client, options.sources);
      }
      const prepared: PreparedMigration[] = [];
      for (const file of runnable(status, options.allowOutOfOrder ?? false)) {
        const ready = await prepareMigration(
          file,
          timeouts,
          Math.floor(session.serverVersionNum / 10000),
        );
        if (!("transactional" in ready)) return { results, error: ready };
        prepared.push(ready);
      }
      const ctx = {
        runId: randomUUID(),
        appliedBy: runnerIdentity(),
        onNote: () => undefined,
      };
      for (const file of prepared) {
        const started = performance.now();
        const notes: string[] = [];
        const failure = await applyMigration(client, file, {
          ...ctx,
          onNote: (n) => notes.push(n),
        });
        const result: MigrationResult = {
          source: file.source,
          name: file.name,
          status: failure ? "failed" : "applied",
          durationMs: Math.round(performance.now() - started),
          transactional: file.transactional,
          notes,
        };
        results.push(result);
        if (failure) return { results, error: failure };
        options.onApplied?.(result);
      }
      return { results, error: undefined };
    } finally {
      await releaseMigrationLock(client, key).catch(() => undefined);
    }
  } catch (thrown) {
    if (thrown instanceof OpskitError) {
      const passed = ["MIGRATION_LOCK_TIMEOUT", "POOLER_TRANSACTION_MODE"] as const;
      const code = passed.find((c) => c === thrown.code) ?? "INTERNAL";
      return { results, error: { code, message: thrown.message } };
    }
    return { results, error: { code: "INTERNAL", message: toError(thrown).message } };
  } finally {
    await client?.end().catch(() => undefined);
  }
}

/** `user@host`: who ran a migration or an action, for the history and the audit log. */
export function runnerIdentity(): string {
  return `${os.userInfo().username}@${os.hostname()}`;
}

/** The first reason the plan may not run at all, before anything is applied. */
export function blockingProblem(
  status: MigrationStatus,
  allowOutOfOrder: boolean,
): MigrationFailure | undefined {
  const failedRow = status.files.find((f) => f.state === "failed");
  if (failedRow) return failedRowProblem(failedRow, status);
  const changed = status.files.find((f) => f.state === "changed");
  if (changed) {
    return {
      code: "MIGRATION_CHECKSUM_MISMATCH",
      source: changed.source,
      file: changed.name,
      message:
        `${changed.source}/${changed.name} was changed after it was applied` +
        (changed.nativeRecord?.checksum
          ? ` (its checksum differs from the one ${changed.nativeRecord.checksum.slice(0, 12)}… recorded in _prisma_migrations)`
          : "") +
        ". Restore the applied content and " +
        "add a new migration for the change; if the edit is harmless (a comment), accept it with " +
        "`opskit migrate accept`.",
    };
  }
  const state = new Map(status.files.map((f) => [`${f.source}\0${f.name}`, f.state]));
  const duplicate = status.duplicates.find((d) =>
    d.names.some((n) => state.get(`${d.source}\0${n}`) !== "applied"),
  );
  if (duplicate) {
    return {
      code: "MIGRATION_DUPLICATE_VERSION",
      source: duplicate.source,
      file: duplicate.names.find((n) => state.get(`${duplicate.source}\0${n}`) !== "applied"),
      message:
        `${duplicate.names.join(" and ")} share the version ${duplicate.version}: their order would depend ` +
        "on the rest of their names. Give the unapplied one a version after the newest file " +
        "(same-day versions take a letter: 20240312a, 20240312b).",
    };
  }
  const outOfOrder = status.files.find((f) => f.state === "out_of_order");
  if (outOfOrder && !allowOutOfOrder) {
    return {
      code: "MIGRATION_OUT_OF_ORDER",
      source: outOfOrder.source,
      file: outOfOrder.name,
      message:
        `${outOfOrder.source}/${outOfOrder.name} is not applied but sorts before files that are: a fresh ` +
        "database would run it in another order than this one. Rename it to sort after the newest applied " +
        "file, or allow it explicitly (--allow-out-of-order) once you checked it is independent.",
    };
  }
  return undefined;
}
