/**
 * The test entry point (`npm test`): starts one embedded Postgres (or uses
 * TEST_DATABASE_URL), builds one template database migrated once, then runs
 * every `*.test.ts` file with node's test runner. Each test file copies the
 * template (see test/db.ts).
 *
 *   node --import tsx test/run.ts [file-or-folder …]
 */
import { spawn } from "node:child_process";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from "../src/db/index.js";
import { prepareTestTemplate } from "../src/testing/index.js";

const root = path.resolve(import.meta.dirname, "..");

async function findTests(target: string): Promise<string[]> {
  const full = path.resolve(root, target);
  if (full.endsWith(".test.ts")) return [full];
  const entries = await readdir(full, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith(".test.ts"))
    .map((e) => path.join(e.parentPath, e.name))
    .filter((f) => !f.includes(`${path.sep}node_modules${path.sep}`))
    .sort();
}

async function main(): Promise<number> {
  const targets = process.argv.slice(2);
  const files = (
    await Promise.all((targets.length ? targets : ["src", "test", "examples"]).map(findTests))
  ).flat();
  if (files.length === 0) {
    console.error("no test files found");
    return 1;
  }

  let embedded: EmbeddedPostgresHandle | undefined;
  let tmp: string | undefined;
  let adminUrl = process.env.TEST_DATABASE_URL;
  if (!adminUrl) {
    tmp = await mkdtemp(path.join(os.tmpdir(), "opskit-test-"));
    const serverLog: string[] = [];
    try {
      embedded = await startEmbeddedPostgres({
        onLog: (line) => void serverLog.push(line),
        dataDir: path.join(tmp, "pg"),
        port: 54330,
        persistent: false,
        // Test-only durability trade-offs: these make commits cheap; benchmarks never use them.
        settings: {
          fsync: "off",
          synchronous_commit: "off",
          full_page_writes: "off",
          max_connections: "300",
          // The outbox's logical reader is tested against a real replication slot.
          wal_level: "logical",
          max_replication_slots: "20",
          max_wal_senders: "20",
        },
      });
    } catch (error) {
      console.error(serverLog.slice(-30).join("\n"));
      throw error;
    }
    adminUrl = embedded.url;
  }
  const template = `opskit_template_${process.pid}`;
  // The soak (test/soak.test.ts: 2 minutes of load and chaos, then a drain) cannot fit the
  // per-file limit below: soak files run after the others, on their own, with 30 minutes.
  const soaks = files.filter((f) => f.endsWith(`${path.sep}soak.test.ts`));
  const others = files.filter((f) => !soaks.includes(f));
  const timeoutMs = Number(process.env.OPSKIT_TEST_TIMEOUT_MS ?? 180_000);
  const runFiles = (list: string[], limitMs: number) =>
    new Promise<number>((resolve) => {
      const child = spawn(
        process.execPath,
        // A test that hangs fails after 3 minutes instead of holding CI until its limit;
        // OPSKIT_TEST_TIMEOUT_MS lengthens it for a deliberate long run (the console fuzz).
        [
          "--conditions=opskit-source",
          "--import",
          "tsx",
          "--test",
          "--test-concurrency=2",
          `--test-timeout=${limitMs}`,
          ...list,
        ],
        {
          stdio: "inherit",
          env: { ...process.env, TEST_PG_ADMIN_URL: adminUrl, TEST_PG_TEMPLATE: template },
        },
      );
      child.on("exit", (c, signal) => resolve(c ?? (signal ? 1 : 0)));
    });
  try {
    await prepareTestTemplate(adminUrl, template);
    const code = others.length ? await runFiles(others, timeoutMs) : 0;
    const soakCode = soaks.length ? await runFiles(soaks, Math.max(timeoutMs, 30 * 60_000)) : 0;
    return code || soakCode;
  } finally {
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`drop database if exists ${template} with (force)`).catch(() => undefined);
    await admin.end();
    await embedded?.stop();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
