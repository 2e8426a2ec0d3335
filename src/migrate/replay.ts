import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { startEmbeddedPostgres } from "../db/index.js";
import type { MigrationSource } from "./migration-plan.js";
import { migrate, type MigrateOutcome } from "./runner.js";
import { createScratchDatabase } from "../db/index.js";

export interface ReplayOptions {
  sources: MigrationSource[];
  /**
   * A server to create the scratch database on (any database URL of it;
   * the scratch database is dropped afterwards). Default: an embedded
   * Postgres started in a temporary folder and removed afterwards.
   */
  serverUrl?: string;
}

export interface ReplayReport extends MigrateOutcome {
  server: "embedded" | "given";
}

/**
 * Applies the whole history in runner order to a fresh, empty database and
 * reports the first failure the way `migrate` does (file, line, SQLSTATE).
 * It catches what only a fresh database shows: two files that sort the wrong
 * way (a type used before the file that creates it), a file that relied on
 * an object created by hand, a changed file that no longer matches history.
 *
 * @example
 * const { error } = await replayMigrations({ sources: [{ source: "app", dir: "migrations" }] });
 */
export async function replayMigrations(options: ReplayOptions): Promise<ReplayReport> {
  const apply = (connectionString: string) =>
    migrate({
      connectionString,
      sources: options.sources,
      lockWaitMs: 5_000,
    });
  if (options.serverUrl) {
    const scratch = await createScratchDatabase(options.serverUrl, {
      copy: false,
      prefix: "opskit_replay",
    });
    try {
      return { server: "given", ...(await apply(scratch.url)) };
    } finally {
      await scratch.drop();
    }
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), "opskit-replay-"));
  try {
    const server = await startEmbeddedPostgres({
      dataDir: path.join(dir, "pg"),
      port: 54400,
      persistent: false,
      // A throwaway server: durability settings only cost time here.
      settings: { fsync: "off", synchronous_commit: "off", full_page_writes: "off" },
    });
    try {
      return { server: "embedded", ...(await apply(server.url)) };
    } finally {
      await server.stop();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
