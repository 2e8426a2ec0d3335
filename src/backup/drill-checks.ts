import type { CheckResult, Invariant, SmokeQuery } from "./check-result.js";
import type { MigrationEntry } from "./backup-manifest.js";
import { findPgTool, libpqEnv, runTool, tail } from "./pg-tools.js";
import { countRows } from "./row-counts.js";
import { readMigrationFacts } from "./snapshot-facts.js";
import { withClient } from "../db/index.js";
import { BACKUP_CLIENT } from "./backup-client.js";

/**
 * `pg_amcheck` over every table and btree index of the database: heap pages
 * and index structure readable and consistent. `installMissing` creates the
 * amcheck extension first (fine in a scratch copy; asked for explicitly in a
 * provider's copy, where it is a write).
 */
export async function amcheckCheck(
  url: string,
  major: number,
  options: { installMissing: boolean; signal?: AbortSignal },
): Promise<CheckResult> {
  const tool = await findPgTool("pg_amcheck", major);
  const env = libpqEnv(url);
  const result = await runTool(
    tool,
    [...(options.installMissing ? ["--install-missing"] : []), "--jobs=2", env.PGDATABASE!],
    { env, ...(options.signal ? { signal: options.signal } : {}) },
  );
  if (result.code === 0) return { name: "pg_amcheck", ok: true, detail: "no corruption found" };
  if (
    !options.installMissing &&
    /amcheck.*not installed|extension "amcheck"/i.test(result.stderr + result.stdout)
  ) {
    return {
      name: "pg_amcheck",
      ok: true,
      skipped: true,
      detail:
        "skipped: the amcheck extension is not installed in this database (give --install-amcheck to create it)",
    };
  }
  const found = (result.stdout + "\n" + result.stderr).trim().split("\n").slice(0, 6).join(" | ");
  return { name: "pg_amcheck", ok: false, detail: found || tail(result.stderr) };
}

/** Row counts of every user table against the expected ones: no table missing, none extra, every count equal. */
export function countsCheck(
  expected: Record<string, number>,
  actual: Record<string, number>,
): CheckResult {
  const problems: string[] = [];
  for (const [table, n] of Object.entries(expected)) {
    if (!(table in actual)) problems.push(`${table} missing (expected ${n} rows)`);
    else if (actual[table] !== n)
      problems.push(`${table} has ${actual[table]} rows, expected ${n}`);
  }
  for (const table of Object.keys(actual)) {
    if (!(table in expected)) problems.push(`${table} is not in the source`);
  }
  const rows = Object.values(expected).reduce((a, b) => a + b, 0);
  return problems.length === 0
    ? {
        name: "row counts",
        ok: true,
        detail: `${Object.keys(expected).length} tables, ${rows} rows, all equal`,
      }
    : {
        name: "row counts",
        ok: false,
        detail:
          problems.slice(0, 10).join("; ") +
          (problems.length > 10 ? `; … ${problems.length - 10} more` : ""),
      };
}

/** The migration history of the copy against the expected one, entry by entry (source, name, checksum). */
export function migrationsCheck(expected: MigrationEntry[], actual: MigrationEntry[]): CheckResult {
  const key = (m: MigrationEntry) => `${m.source}/${m.name}@${m.checksum.slice(0, 12)}`;
  const a = actual.map(key);
  const e = expected.map(key);
  const firstDiff = e.findIndex((k, i) => a[i] !== k);
  if (firstDiff === -1 && a.length === e.length) {
    return {
      name: "migration history",
      ok: true,
      detail: `${e.length} migrations, newest ${e.at(-1) ?? "(none)"}`,
    };
  }
  const at = firstDiff === -1 ? e.length : firstDiff;
  return {
    name: "migration history",
    ok: false,
    detail: `differs at entry ${at + 1}: expected ${e[at] ?? "(end)"}, found ${a[at] ?? "(end)"} (${e.length} expected, ${a.length} found)`,
  };
}

/** Reads the copy's counts and history in one snapshot. */
export async function readCopyFacts(
  url: string,
): Promise<{ tables: Record<string, number>; history: MigrationEntry[] }> {
  return withClient(url, BACKUP_CLIENT, async (client) => {
    await client.query("begin isolation level repeatable read read only");
    const tables = await countRows(client);
    const { history } = await readMigrationFacts(client);
    await client.query("commit");
    return { tables, history };
  });
}

/** Each invariant in a read-only transaction: any row it returns is a violation. */
export async function invariantChecks(
  url: string,
  invariants: readonly Invariant[],
): Promise<CheckResult[]> {
  if (invariants.length === 0) return [];
  return withClient(url, BACKUP_CLIENT, async (client) => {
    const checks: CheckResult[] = [];
    for (const inv of invariants) {
      await client.query("begin read only");
      try {
        const { rows, rowCount } = await client.query(inv.sql);
        checks.push(
          rows.length === 0
            ? { name: `invariant ${inv.name}`, ok: true, detail: "no violating rows" }
            : {
                name: `invariant ${inv.name}`,
                ok: false,
                detail: `${rowCount ?? rows.length} violating rows, first: ${JSON.stringify(rows[0])}`,
              },
        );
      } catch (error) {
        checks.push({
          name: `invariant ${inv.name}`,
          ok: false,
          detail: `failed to run: ${(error as Error).message}`,
        });
      } finally {
        await client.query("rollback");
      }
    }
    return checks;
  });
}

/** Each smoke query in a transaction that is always rolled back: the copy is left as restored. */
export async function smokeChecks(
  url: string,
  smoke: readonly SmokeQuery[],
): Promise<CheckResult[]> {
  if (smoke.length === 0) return [];
  return withClient(url, BACKUP_CLIENT, async (client) => {
    const checks: CheckResult[] = [];
    for (const q of smoke) {
      await client.query("begin");
      try {
        const result = await client.query(q.sql, q.params ?? []);
        checks.push({
          name: `smoke ${q.name}`,
          ok: true,
          detail: `${result.command} ${result.rowCount ?? 0} (rolled back)`,
        });
      } catch (error) {
        checks.push({ name: `smoke ${q.name}`, ok: false, detail: (error as Error).message });
      } finally {
        await client.query("rollback");
      }
    }
    return checks;
  });
}
