/**
 * Migration lint, side by side with squawk (the npm `squawk-cli` package's
 * native binary), both as whole processes on the same generated corpus:
 *
 * - throughput: a directory of generated migrations (10,000 statements, a
 *   realistic mix), best of 5 (best of 2 with --quick); process CPU (user +
 *   sys, from bash's `times`) and wall time, per statement;
 * - cold start: one tiny file, best of 5;
 * - catch table: the 18 deploy-failure cases of the reference
 *   (src/migrate/lint/fixtures/deploy-failures), which tool flags the
 *   failing statement.
 *
 *   npm run bench -- lint [--quick]
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { lintMigrations } from "../src/migrate/index.js";
import type { Benchmark } from "./harness.js";
import { round, versions } from "./harness.js";

const root = path.resolve(import.meta.dirname, "..");
const opskitCli = path.join(root, "dist/src/cli/main.js");
const casesDir = path.join(root, "src/migrate/lint/fixtures/deploy-failures");

/** squawk's own binary (the package's `squawk` bin is a node wrapper around it). */
function squawkBinary(): string {
  const require = createRequire(import.meta.url);
  const pkg = require.resolve(`@squawk-cli/${process.platform}-${process.arch}/package.json`);
  return path.join(
    path.dirname(pkg),
    "bin",
    process.platform === "win32" ? "squawk.exe" : "squawk",
  );
}

interface Run {
  wallMs: number;
  cpuMs: number;
}

const discard = path.join(os.tmpdir(), `opskit-bench-lint-${process.pid}.out`);

/** Runs a command under bash and reads the child's user + sys CPU from `times`. */
function measure(command: string, args: string[]): Run {
  const started = performance.now();
  const result = spawnSync(
    "bash",
    ["-c", '"$@" > "$OUT" 2>/dev/null; times', "bash", command, ...args],
    {
      encoding: "utf8",
      env: { ...process.env, OUT: discard },
    },
  );
  const wallMs = performance.now() - started;
  const lines = result.stdout.trim().split("\n");
  const children = lines.at(-1)?.split(/\s+/) ?? [];
  const seconds = (t: string | undefined) => {
    const m = /^(\d+)m([\d.]+)s$/.exec(t ?? "");
    return m ? Number(m[1]) * 60 + Number(m[2]) : NaN;
  };
  return { wallMs, cpuMs: (seconds(children[0]) + seconds(children[1])) * 1000 };
}

function best(runs: Run[]): { wallMs: number; cpuMs: number } {
  return {
    wallMs: Math.min(...runs.map((r) => r.wallMs)),
    cpuMs: Math.min(...runs.map((r) => r.cpuMs)),
  };
}

/** One migration file of a realistic mix (20 statements). */
function migrationFile(i: number): string {
  const t = `t${i}`;
  const prev = `t${Math.max(0, i - 1)}`;
  return `create table ${t} (
  id bigint generated always as identity primary key,
  account_id bigint not null references ${i === 0 ? t : prev} (id),
  name text not null,
  status text not null default 'new',
  payload jsonb not null default '{}',
  created_at timestamptz not null default now()
);
create index ${t}_account_id_idx on ${t} (account_id);
create unique index ${t}_name_key on ${t} (name);
create index ${t}_status_created_idx on ${t} (status, created_at) where status <> 'done';
alter table ${t} add column note text;
alter table ${t} add column priority int not null default 0;
alter table ${t} add constraint ${t}_priority_check check (priority between 0 and 9);
comment on table ${t} is 'Generated table number ${i} for the lint benchmark.';
insert into ${t} (account_id, name) values (1, 'first'), (2, 'second'), (3, 'third');
update ${t} set status = 'active' where status = 'new' and created_at < now() - interval '1 day';
delete from ${t} where status = 'obsolete';
create view ${t}_active as select id, name, created_at from ${t} where status = 'active';
create function ${t}_touch() returns trigger language plpgsql as $$
begin
  new.created_at := coalesce(new.created_at, now());
  return new;
end;
$$;
create trigger ${t}_touch before insert on ${t} for each row execute function ${t}_touch();
create type ${t}_kind as enum ('a', 'b', 'c');
alter table ${t} add column kind ${t}_kind;
create sequence ${t}_seq;
grant select on ${t} to public;
insert into ${t} (account_id, name) select account_id, name || '-copy' from ${t} where id < 100;
with recent as (select id from ${t} order by created_at desc limit 10)
update ${t} set note = 'recent' from recent where recent.id = ${t}.id;
`;
}

async function corpus(dir: string, files: number): Promise<number> {
  await mkdir(dir, { recursive: true });
  for (let i = 0; i < files; i++)
    await writeFile(path.join(dir, `${String(i).padStart(5, "0")}_m.sql`), migrationFile(i));
  return files * 20;
}

// squawk rules that fire on any DDL statement, whatever it does: they do not
// speak to the failure at hand, so the catch table lists them apart.
const GENERIC_SQUAWK_RULES = new Set([
  "require-lock-timeout",
  "require-statement-timeout",
  "prefer-robust-stmts",
  "prefer-bigint-over-int",
  "prefer-text-field",
]);

interface Case {
  shape: string;
  sqlstate: string;
  failing: { file: string; line: number; endLine: number };
  opskitRules: string[];
  dataDependent: boolean;
}

async function catchTable(squawk: string) {
  const rows: Record<string, string>[] = [];
  for (const name of (await readdir(casesDir)).sort()) {
    const dir = path.join(casesDir, name);
    const spec = JSON.parse(await readFile(path.join(dir, "case.json"), "utf8")) as Case;
    const within = (file: string, line: number) =>
      path.basename(file) === spec.failing.file &&
      line >= spec.failing.line &&
      line <= spec.failing.endLine;
    const { findings } = await lintMigrations({ dirs: [dir] });
    const ours = findings.filter((f) => within(f.file, f.line) && f.severity !== "info");
    const files = (await readdir(dir)).filter((f) => f.endsWith(".sql")).sort();
    const sq = spawnSync(squawk, ["--reporter", "json", ...files.map((f) => path.join(dir, f))], {
      encoding: "utf8",
    });
    const theirs = (
      JSON.parse(sq.stdout || "[]") as { file: string; line: number; rule_name: string }[]
    )
      // squawk's lines are 0-based.
      .filter((f) => within(f.file, f.line + 1))
      .map((f) => f.rule_name);
    const specific = theirs.filter((r) => !GENERIC_SQUAWK_RULES.has(r));
    const caught = ours.filter((f) => spec.opskitRules.includes(f.rule)).map((f) => f.rule);
    rows.push({
      case: name,
      shape: spec.shape,
      sqlstate: spec.sqlstate,
      "opskit lint": caught.length
        ? `✓ ${[...new Set(caught)].join(", ")}${spec.dataDependent ? " (statement flagged; the data needs dry-run)" : ""}`
        : "✗",
      squawk: specific.length
        ? `fires: ${[...new Set(specific)].join(", ")}`
        : theirs.length
          ? `✗ (only generic: ${[...new Set(theirs)].join(", ")})`
          : "✗",
      "dry-run / replay": caught.length && !spec.dataDependent ? "n/a (lint)" : "see dry-run",
    });
  }
  return rows;
}

const bench: Benchmark = async ({ quick }) => {
  const rounds = quick ? 2 : 5;
  execFileSync("npx", ["tsc", "-p", "tsconfig.build.json"], { cwd: root, stdio: "inherit" });
  const squawk = squawkBinary();
  const tmp = await mkdtemp(path.join(os.tmpdir(), "opskit-bench-lint-"));
  try {
    const dir = path.join(tmp, "corpus");
    const statements = await corpus(dir, 500);
    const files = (await readdir(dir)).sort().map((f) => path.join(dir, f));
    const tiny = path.join(tmp, "tiny.sql");
    await writeFile(tiny, "create table t (id bigint primary key);\n");

    const opskitArgs = (target: string[]) => [
      opskitCli,
      "migrate",
      "lint",
      ...target,
      "--format",
      "json",
    ];
    const squawkArgs = (target: string[]) => ["--reporter", "json", ...target];
    const runs = {
      opskit: [] as Run[],
      squawk: [] as Run[],
      opskitCold: [] as Run[],
      squawkCold: [] as Run[],
    };
    // Interleaved rounds, so drift on a shared machine hits both alike.
    for (let r = 0; r < rounds; r++) {
      runs.opskit.push(measure(process.execPath, opskitArgs([dir])));
      runs.squawk.push(measure(squawk, squawkArgs(files)));
    }
    for (let r = 0; r < 5; r++) {
      runs.opskitCold.push(measure(process.execPath, opskitArgs([tiny])));
      runs.squawkCold.push(measure(squawk, squawkArgs([tiny])));
    }
    const o = best(runs.opskit);
    const s = best(runs.squawk);
    const oc = best(runs.opskitCold);
    const sc = best(runs.squawkCold);
    const perStatement = (ms: number) => round((ms * 1000) / statements, 2);
    // Per-statement work without process start: (corpus − tiny file) / statements.
    const marginal = (corpus: number, cold: number) => perStatement(corpus - cold);
    const catches = await catchTable(squawk);
    const squawkVersion = spawnSync(squawk, ["--version"], { encoding: "utf8" }).stdout.trim();
    console.log("\ncatch table (the 18 deploy-failure cases):");
    console.table(
      catches.map(({ case: c, "opskit lint": ok, squawk: sq }) => ({
        case: c,
        opskit: ok,
        squawk: sq,
      })),
    );
    return {
      table: [
        {
          tool: "opskit migrate lint",
          statements,
          "cpu ms": round(o.cpuMs, 0),
          "wall ms": round(o.wallMs, 0),
          "cpu µs/stmt": perStatement(o.cpuMs),
          "marginal cpu µs/stmt": marginal(o.cpuMs, oc.cpuMs),
          "cold cpu ms": round(oc.cpuMs, 0),
          "cold wall ms": round(oc.wallMs, 0),
        },
        {
          tool: "squawk",
          statements,
          "cpu ms": round(s.cpuMs, 0),
          "wall ms": round(s.wallMs, 0),
          "cpu µs/stmt": perStatement(s.cpuMs),
          "marginal cpu µs/stmt": marginal(s.cpuMs, sc.cpuMs),
          "cold cpu ms": round(sc.cpuMs, 0),
          "cold wall ms": round(sc.wallMs, 0),
        },
      ],
      figures: {
        statements,
        files: files.length,
        rounds,
        cold_rounds: 5,
        opskit: {
          best: o,
          cold: oc,
          runs: runs.opskit.map(({ wallMs, cpuMs }) => ({ wallMs, cpuMs })),
        },
        squawk: {
          best: s,
          cold: sc,
          runs: runs.squawk.map(({ wallMs, cpuMs }) => ({ wallMs, cpuMs })),
        },
        cpu_us_per_statement: { opskit: perStatement(o.cpuMs), squawk: perStatement(s.cpuMs) },
        marginal_cpu_us_per_statement: {
          opskit: marginal(o.cpuMs, oc.cpuMs),
          squawk: marginal(s.cpuMs, sc.cpuMs),
        },
        catch_table: catches,
        caught: {
          opskit: catches.filter((c) => c["opskit lint"]?.startsWith("✓")).length,
          squawk_fires_on_failing_statement: catches.filter((c) => c.squawk?.startsWith("fires"))
            .length,
        },
      },
      ratios: {
        cpu_per_statement_opskit_vs_squawk: round(o.cpuMs / s.cpuMs, 3),
        marginal_cpu_per_statement_opskit_vs_squawk: round(
          (o.cpuMs - oc.cpuMs) / (s.cpuMs - sc.cpuMs),
          3,
        ),
        wall_opskit_vs_squawk: round(o.wallMs / s.wallMs, 3),
        cold_cpu_opskit_vs_squawk: round(oc.cpuMs / sc.cpuMs, 3),
        cold_wall_opskit_vs_squawk: round(oc.wallMs / sc.wallMs, 3),
      },
      versions: { ...versions(["libpg-query", "squawk-cli"]), squawk: squawkVersion },
    };
  } finally {
    await rm(tmp, { recursive: true, force: true });
    await rm(discard, { force: true });
  }
};

export default bench;
