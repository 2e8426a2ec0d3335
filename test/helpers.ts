/**
 * Small helpers shared by test files (the database ones live in test/db.ts).
 *
 * @example
 * const dirs = await migrationDirs();
 * after(() => dirs.remove());
 * const d = await dirs.dir("ordered", { "0001_a.sql": "create table a (id int);" });
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import type { Output } from "../src/cli/index.js";

/** A CLI `Output` that keeps what a command printed, for `runCli(args, io)`. */
export function captureOutput(): { out: string[]; err: string[]; io: Output } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    io: { out: (t: string) => void out.push(t), err: (t: string) => void err.push(t) },
  };
}

/** Folders of migration files under one temporary folder, removed together. */
export async function migrationDirs(): Promise<{
  dir(name: string, files: Record<string, string>): Promise<string>;
  remove(): Promise<void>;
}> {
  const root = await mkdtemp(path.join(os.tmpdir(), "opskit-migrations-"));
  return {
    async dir(name, files) {
      const d = path.join(root, name);
      for (const [file, sql] of Object.entries(files)) {
        await mkdir(path.dirname(path.join(d, file)), { recursive: true });
        await writeFile(path.join(d, file), sql);
      }
      await mkdir(d, { recursive: true });
      return d;
    },
    remove: () => rm(root, { recursive: true, force: true }),
  };
}

/** Rows of one query on a short-lived connection. */
export async function queryRows<T extends pg.QueryResultRow>(
  url: string,
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}
