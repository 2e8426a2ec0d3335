/** What every `opskit backup` command shares: options, the checks file, the receipt's output. */
import { readFile } from "node:fs/promises";
import { z } from "zod";
import type { CheckResult, DrillChecks, DrillReceipt } from "../../backup/index.js";
import { EXIT, UsageError, type Output } from "../cli-error.js";
import { sessionDatabaseUrl } from "../command-kit.js";

export const json = { json: { type: "boolean" } } as const;
export const source = { "database-url": { type: "string" } } as const;

/** The database to dump or drill: a session of its own (pg_dump), so the direct URL first. */
export function sourceUrl(values: { "database-url"?: string | undefined }): string {
  return sessionDatabaseUrl(values);
}

export function required(value: string | undefined, flag: string): string {
  if (!value) throw new UsageError(`Give ${flag}.`);
  return value;
}

export function checksTable(checks: CheckResult[]): string {
  const width = Math.max(5, ...checks.map((c) => c.name.length));
  return checks
    .map(
      (c) => `${c.skipped ? "skip" : c.ok ? " ok " : "FAIL"}  ${c.name.padEnd(width)}  ${c.detail}`,
    )
    .join("\n");
}

export const seconds = (ms: number | null) => (ms === null ? "-" : `${(ms / 1000).toFixed(1)} s`);

const checksFile = z.object({
  invariants: z.array(z.object({ name: z.string(), sql: z.string() })).default([]),
  smoke: z
    .array(z.object({ name: z.string(), sql: z.string(), params: z.array(z.unknown()).optional() }))
    .default([]),
});

export async function readChecks(file: string | undefined): Promise<DrillChecks> {
  if (file === undefined) return {};
  const parsed = checksFile.safeParse(JSON.parse(await readFile(file, "utf8")));
  if (!parsed.success) {
    throw new UsageError(
      `${file}: expected {"invariants":[{"name","sql"}],"smoke":[{"name","sql"}]}.`,
    );
  }
  return parsed.data;
}

export function date(text: string | undefined, flag: string): Date | undefined {
  if (text === undefined) return undefined;
  const d = new Date(text);
  if (Number.isNaN(d.getTime()))
    throw new UsageError(`${flag} must be an ISO time, e.g. 2026-05-01T12:00:00Z.`);
  return d;
}

/** The contract's keys first (`ok`, `rto_ms`, `rpo_ms`, `checks`), then the rest of the receipt. */
function receiptJson(r: DrillReceipt): Record<string, unknown> {
  const { ok, rto_ms, rpo_ms, checks, ...rest } = r;
  return { ok, rto_ms, rpo_ms, checks, ...rest };
}

export function printReceipt(io: Output, asJson: boolean | undefined, r: DrillReceipt): number {
  io.out(
    asJson
      ? JSON.stringify(receiptJson(r))
      : [
          `drill ${r.id}: ${r.ok ? "PASSED" : "FAILED"}${r.backupId ? ` (backup ${r.backupId})` : ""}`,
          checksTable(r.checks),
          `RTO ${seconds(r.rto_ms)}  RPO ${seconds(r.rpo_ms)}  (docs/backup.md defines both)`,
        ].join("\n"),
  );
  return r.ok ? EXIT.ok : EXIT.failure;
}
