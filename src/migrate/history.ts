import pg from "pg";
import type { Queryable } from "../db/index.js";
import { createAuditLogSql } from "../audit/index.js";

/**
 * A table of the toolkit's schema, `"opskit"."<table>"`. The schema is fixed
 * (docs/architecture.md); the quoted form is kept because the migration
 * lock's key is derived from this exact text.
 */
export function qualified(table: string): string {
  return `${pg.escapeIdentifier("opskit")}.${pg.escapeIdentifier(table)}`;
}

/**
 * The runner's own tables, created before any migration runs (they cannot be
 * created by a migration: they record the migrations). `create … if not
 * exists` and `add column if not exists` keep this idempotent and let it grow.
 *
 * - `schema_migrations`: one row per applied file.
 * - `schema_migration_progress`: the statements already run of a
 *   non-transactional file that has not finished (a rerun resumes there).
 * - `audit_log`: who did what to the toolkit's state (an accepted checksum, a
 *   terminated lock holder, every console action; see src/audit).
 */
export function createHistorySql(): string {
  return `
    create schema if not exists opskit;
    create table if not exists ${qualified("schema_migrations")} (
      id bigserial primary key,
      source text not null,
      name text not null,
      checksum text not null,
      applied_at timestamptz not null default now(),
      duration_ms integer not null,
      run_id uuid not null,
      applied_by text not null,
      unique (source, name)
    );
    create table if not exists ${qualified("schema_migration_progress")} (
      source text not null,
      name text not null,
      -- of the statements already run, not of the whole file
      checksum text not null,
      statements_done integer not null,
      started_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      run_id uuid not null,
      primary key (source, name)
    );
    ${createAuditLogSql()}`;
}

export interface AppliedMigration {
  source: string;
  name: string;
  checksum: string;
  applied_at: Date;
  applied_by: string;
  duration_ms: number;
}

export interface MigrationProgress {
  source: string;
  name: string;
  checksum: string;
  statements_done: number;
}

/** A pool or a client: anything that runs a query. */

async function tableExists(client: Queryable, table: string): Promise<boolean> {
  const { rows } = await client.query<{ ok: boolean }>("select to_regclass($1) is not null as ok", [
    qualified(table),
  ]);
  return rows[0]?.ok === true;
}

export async function readHistory(client: Queryable): Promise<AppliedMigration[]> {
  if (!(await tableExists(client, "schema_migrations"))) return [];
  const { rows } = await client.query<AppliedMigration>(
    `select source, name, checksum, applied_at, applied_by, duration_ms
       from ${qualified("schema_migrations")} order by id`,
  );
  return rows;
}

export async function readProgress(client: Queryable): Promise<MigrationProgress[]> {
  if (!(await tableExists(client, "schema_migration_progress"))) return [];
  const { rows } = await client.query<MigrationProgress>(
    `select source, name, checksum, statements_done from ${qualified("schema_migration_progress")}`,
  );
  return rows;
}
