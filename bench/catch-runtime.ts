/**
 * The dry-run and replay columns of the lint benchmark's catch table: each
 * deploy-failure case run for real on one Postgres.
 *
 * - replay: the case's whole history applied to an empty database;
 * - dry-run: the files before the failing one applied, the case's
 *   production-shaped rows (`prodData` in case.json) inserted, then
 *   `dryRunMigrations` with the failing file pending.
 */
import { copyFile, mkdtemp, readdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { createScratchDatabase } from "../src/db/index.js";
import { dryRunMigrations, migrate, replayMigrations } from "../src/migrate/index.js";

export interface RuntimeCase {
  dir: string;
  failingFile: string;
  prodData?: string;
}

export interface RuntimeVerdict {
  replay: string;
  dryRun: string;
}

export async function runtimeVerdict(
  serverUrl: string,
  spec: RuntimeCase,
): Promise<RuntimeVerdict> {
  const sources = [{ source: "app", dir: spec.dir }];
  const replay = await replayMigrations({ sources, serverUrl });
  const replayed = replay.error
    ? `✓ ${replay.error.code}${replay.error.sqlstate ? ` ${replay.error.sqlstate}` : ""} at ${replay.error.file}:${replay.error.line ?? "?"}`
    : "✗ applies";

  const scratch = await createScratchDatabase(serverUrl, { copy: false, prefix: "opskit_catch" });
  const before = await mkdtemp(path.join(os.tmpdir(), "opskit-catch-"));
  try {
    const files = (await readdir(spec.dir)).filter((f) => f.endsWith(".sql")).sort();
    for (const f of files.slice(0, files.indexOf(spec.failingFile)))
      await copyFile(path.join(spec.dir, f), path.join(before, f));
    const applied = await migrate({
      connectionString: scratch.url,
      sources: [{ source: "app", dir: before }],
    });
    if (applied.error)
      return { replay: replayed, dryRun: `setup failed: ${applied.error.message}` };
    if (spec.prodData) {
      const client = new pg.Client({ connectionString: scratch.url });
      await client.connect();
      await client.query(spec.prodData).finally(() => client.end());
    }
    const report = await dryRunMigrations({ connectionString: scratch.url, sources });
    const violations = report.prechecks.filter((p) => p.violations);
    const dryRun = report.error
      ? `✓ ${report.error.code}${report.error.sqlstate ? ` ${report.error.sqlstate}` : ""}`
      : "";
    const counted = violations.map((p) => `${p.kind}: ${p.violations}`).join(", ");
    return {
      replay: replayed,
      dryRun:
        dryRun || counted
          ? `${dryRun}${dryRun && counted ? "; " : counted ? "✓ " : ""}${counted ? `precheck ${counted}` : ""}`
          : "✗ applies",
    };
  } finally {
    await rm(before, { recursive: true, force: true });
    await scratch.drop();
  }
}
