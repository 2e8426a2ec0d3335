import os from "node:os";
import { createPool, type Pool } from "../../db/index.js";
import { UsageError } from "../cli-error.js";

/** Options every `opskit inbox` command takes. */
export const inboxBaseOptions = {
  "database-url": { type: "string" },
  json: { type: "boolean" },
} as const;

/** Runs `fn` with a small pool on `--database-url` (or DATABASE_URL), always closed after. */
export async function withInboxDatabase<T>(
  url: string | undefined,
  fn: (pool: Pool) => Promise<T>,
): Promise<T> {
  const target = url ?? process.env.DATABASE_URL;
  if (!target) throw new UsageError("Give --database-url URL or set DATABASE_URL.");
  const pool = createPool({ connectionString: target, applicationName: "opskit-cli", max: 2 });
  try {
    return await fn(pool);
  } finally {
    await pool.end();
  }
}

/** Who is acting: `--by`, else the OS user (recorded with replays and pauses). */
export function actor(by: string | undefined): string {
  if (by?.trim()) return by.trim();
  try {
    return os.userInfo().username;
  } catch {
    return "unknown";
  }
}

export function parseDate(text: string | undefined, flag: string): Date | undefined {
  if (text === undefined) return undefined;
  const date = new Date(text);
  if (Number.isNaN(date.getTime())) {
    throw new UsageError(`${flag} must be an ISO date or time, e.g. 2026-05-01T12:00:00Z.`);
  }
  return date;
}

export function parsePositive(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} must be a whole number ≥ 1.`);
  return n;
}

/** One event or rejection per line, columns aligned. */
export function table(rows: readonly object[]): string {
  if (rows.length === 0) return "(none)";
  const cols = Object.keys(rows[0]!);
  const text = (v: unknown) =>
    v === null || v === undefined
      ? "-"
      : v instanceof Date
        ? v.toISOString()
        : typeof v === "string" || typeof v === "number" || typeof v === "boolean"
          ? String(v)
          : JSON.stringify(v);
  const width = cols.map((c) =>
    Math.max(c.length, ...rows.map((r) => text((r as Record<string, unknown>)[c]).length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(width[i]!))
      .join("  ")
      .trimEnd();
  return [
    line(cols),
    ...rows.map((r) => line(cols.map((c) => text((r as Record<string, unknown>)[c])))),
  ].join("\n");
}
