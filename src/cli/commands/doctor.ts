import { loadConfig } from "../../config/index.js";
import {
  checkDatabase,
  createPool,
  describeConnectionTarget,
  probePoolerMode,
  withClient,
} from "../../db/index.js";
import { createJobsAdmin } from "../../jobs/index.js";
import { describeHolder, findLockHolder, lockKeyOf, migrationStatus } from "../../migrate/index.js";
import { migrationSources } from "./migrate.js";
import { parse } from "../args.js";
import { EXIT, type Command } from "../cli-error.js";
import { databaseUrlOrEnv, print } from "../command-kit.js";
import { loadManifest } from "../load-manifest.js";

interface Finding {
  check: string;
  status: "ok" | "warn" | "fail" | "skip";
  detail: string;
}

const MARK = { ok: "ok  ", warn: "WARN", fail: "FAIL", skip: "skip" } as const;

export const doctor: Command = {
  name: "doctor",
  summary:
    "Check config, database reachability and latency, pooler mode, server version, migrations, job queue",
  usage: `opskit doctor [--manifest MODULE] [--database-url URL] [--dir MIGRATIONS_DIR] [--json]

One line per check. Exit 1 when any check fails (warnings do not fail).`,
  async run(args, io) {
    const { values } = parse(args, {
      manifest: { type: "string" },
      "database-url": { type: "string" },
      dir: { type: "string" },
      json: { type: "boolean" },
    });
    const findings: Finding[] = [];
    const manifest = await loadManifest(values.manifest);
    const config = loadConfig(manifest, process.env);
    if (config.ok) findings.push({ check: "config", status: "ok", detail: "valid" });
    else {
      const { missing, invalid, unknown } = config.report;
      findings.push({
        check: "config",
        status: "fail",
        detail: `${missing.length} missing, ${invalid.length} invalid, ${unknown.length} unknown; run opskit config check`,
      });
    }
    const url = databaseUrlOrEnv(values);
    if (!url) {
      findings.push({
        check: "database",
        status: "skip",
        detail: "DATABASE_URL not set (a service would start an embedded Postgres)",
      });
    } else {
      await checkDatabaseFindings(url, values.dir, findings);
    }
    if (values.json)
      print(io, true, { ok: !findings.some((f) => f.status === "fail"), findings }, "");
    else for (const f of findings) io.out(`${MARK[f.status]}  ${f.check.padEnd(12)} ${f.detail}`);
    return findings.some((f) => f.status === "fail") ? EXIT.failure : EXIT.ok;
  },
};

async function checkDatabaseFindings(url: string, dir: string | undefined, findings: Finding[]) {
  const target = describeConnectionTarget(url);
  try {
    const info = await checkDatabase(url);
    findings.push({
      check: "database",
      status: "ok",
      detail: `${target} reachable in ${info.latencyMs} ms`,
    });
    findings.push({
      check: "server",
      status: info.serverVersionNum >= 130000 ? "ok" : "warn",
      detail: `PostgreSQL ${info.serverVersion}${info.serverVersionNum >= 130000 ? "" : " (13 or later is supported)"}`,
    });
  } catch (error) {
    findings.push({ check: "database", status: "fail", detail: (error as Error).message });
    return;
  }
  findings.push(await poolerFinding(url));
  await migrationFindings(url, dir, findings);
  await jobFindings(url, findings);
}

/**
 * The pooler in front of `url`: transaction-mode pooling is fine for the
 * pool when OPSKIT_DATABASE_DIRECT_URL gives the session work a direct
 * connection (itself checked), and a failure otherwise.
 */
async function poolerFinding(url: string): Promise<Finding> {
  const pooler = await probePoolerMode(url);
  if (pooler.mode !== "transaction") {
    return {
      check: "pooler",
      status: pooler.mode === "unknown" ? "warn" : "ok",
      detail: `${pooler.mode} semantics`,
    };
  }
  const directUrl = process.env.OPSKIT_DATABASE_DIRECT_URL;
  if (!directUrl || directUrl === url) {
    return {
      check: "pooler",
      status: "fail",
      detail:
        "transaction-mode pooling: the migrate and worker roles need a session for LISTEN and their locks; " +
        "set OPSKIT_DATABASE_DIRECT_URL to a direct connection (or use session pooling)",
    };
  }
  const direct = await probePoolerMode(directUrl);
  const target = describeConnectionTarget(directUrl);
  return {
    check: "pooler",
    status: direct.mode === "transaction" ? "fail" : direct.mode === "unknown" ? "warn" : "ok",
    detail:
      direct.mode === "transaction"
        ? `transaction-mode pooling, and OPSKIT_DATABASE_DIRECT_URL (${target}) goes through one too: point it at Postgres itself`
        : `transaction-mode pooling; session work goes to OPSKIT_DATABASE_DIRECT_URL (${target}): ${direct.mode} semantics`,
  };
}

/** The queue's health, when the database has the toolkit's job tables. */
async function jobFindings(url: string, findings: Finding[]) {
  const pool = createPool({ connectionString: url, applicationName: "opskit-doctor", max: 1 });
  try {
    const jobs = createJobsAdmin(pool);
    if (!(await jobs.installed())) return;
    const stats = await jobs.stats();
    const late = (await jobs.schedules()).filter((s) => s.late).map((s) => s.name);
    const total = (key: "ready" | "running" | "stuck" | "dead") =>
      stats.reduce((n, q) => n + q[key], 0);
    const oldest = Math.max(0, ...stats.map((q) => q.oldestReadyAgeSeconds));
    const problems = [
      ...(total("stuck")
        ? [`${total("stuck")} stuck (lease expired): docs/runbooks/stuck-jobs.md`]
        : []),
      ...(late.length ? [`late schedules: ${late.join(", ")}`] : []),
    ];
    findings.push({
      check: "jobs",
      status: problems.length ? "fail" : total("dead") ? "warn" : "ok",
      detail: [
        ...problems,
        `${total("ready")} ready (oldest ${Math.round(oldest)} s), ${total("running")} running, ${total("dead")} dead` +
          (total("dead") ? ": docs/runbooks/dead-jobs.md" : ""),
      ].join("; "),
    });
  } finally {
    await pool.end();
  }
}

async function migrationFindings(url: string, dir: string | undefined, findings: Finding[]) {
  await withClient(url, { application_name: "opskit-doctor" }, async (client) => {
    const holder = await findLockHolder(client, lockKeyOf({}));
    if (holder) {
      findings.push({
        check: "migration lock",
        status: "warn",
        detail: `held by ${describeHolder(holder)}; if that runner is gone: opskit migrate unlock --stale 60`,
      });
    }
    if (dir === undefined) return;
    const status = await migrationStatus({ db: client, sources: migrationSources(dir) });
    const pending = status.files.filter(
      (f) => f.state === "pending" || f.state === "partial",
    ).length;
    const refused = status.files
      .filter((f) => f.state === "changed" || f.state === "out_of_order" || f.state === "failed")
      .map((f) => `${f.name} (${f.state})`);
    findings.push({
      check: "migrations",
      status: refused.length ? "fail" : pending > 1 ? "warn" : "ok",
      detail: refused.length
        ? `the next run would be refused: ${refused.join(", ")}`
        : pending > 1
          ? `${pending} pending: deploy them one at a time`
          : `${pending} pending`,
    });
  });
}
