import { parseDuration } from "../config/index.js";
import { createPool, type Pool } from "../db/index.js";
import { UsageError, type Output } from "./cli-error.js";

/** The options every command that reads the database takes. */
export const databaseOptions = {
  "database-url": { type: "string" },
  json: { type: "boolean" },
} as const;

type DatabaseValues = { "database-url"?: string | undefined };

/** `--database-url`, else DATABASE_URL; undefined when neither is set. */
export function databaseUrlOrEnv(values: DatabaseValues): string | undefined {
  return values["database-url"] ?? process.env.DATABASE_URL;
}

/** `--database-url`, else DATABASE_URL; a usage error (exit 2) when neither is set. */
export function databaseUrl(values: DatabaseValues): string {
  const url = databaseUrlOrEnv(values);
  if (!url) throw new UsageError("Give --database-url URL or set DATABASE_URL.");
  return url;
}

/**
 * For commands whose work needs one server session (the migration lock,
 * pg_dump): `--database-url`, else OPSKIT_DATABASE_DIRECT_URL (the direct
 * connection past a transaction-mode pooler in DATABASE_URL), else
 * DATABASE_URL; a usage error (exit 2) when none is set.
 */
export function sessionDatabaseUrl(values: DatabaseValues): string {
  const url =
    values["database-url"] ?? process.env.OPSKIT_DATABASE_DIRECT_URL ?? process.env.DATABASE_URL;
  if (!url)
    throw new UsageError(
      "Give --database-url URL or set OPSKIT_DATABASE_DIRECT_URL or DATABASE_URL.",
    );
  return url;
}

/** Runs `fn` on a small pool to the command's database, always closing it. */
export async function withCliPool<T>(
  values: DatabaseValues,
  fn: (pool: Pool) => Promise<T>,
): Promise<T> {
  const pool = createPool({
    connectionString: databaseUrl(values),
    max: 2,
    applicationName: "opskit-cli",
  });
  try {
    return await fn(pool);
  } finally {
    await pool.end();
  }
}

/** `--json`: the data on one line for machines; otherwise the text for people. */
export function print(io: Output, json: boolean | undefined, data: unknown, text: string): void {
  io.out(json ? JSON.stringify(data) : text);
}

/** A table cell: dates in ISO, nothing as "-", objects as JSON. */
function cell(value: unknown): string {
  if (value instanceof Date) return value.toISOString();
  if (value === null || value === undefined) return "-";
  if (typeof value === "string") return value;
  return typeof value === "number" || typeof value === "boolean"
    ? String(value)
    : JSON.stringify(value);
}

/**
 * Rows as aligned columns under a header line (two spaces between columns,
 * no trailing blanks). The columns default to the first row's keys; with
 * neither rows nor columns it prints "(none)".
 */
export function table(
  rows: readonly object[],
  columns: readonly string[] | undefined = rows[0] && Object.keys(rows[0]),
): string {
  if (columns === undefined) return "(none)";
  const value = (row: object, column: string) => cell((row as Record<string, unknown>)[column]);
  const width = columns.map((c) => Math.max(c.length, ...rows.map((r) => value(r, c).length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(width[i]!))
      .join("  ")
      .trimEnd();
  return [line([...columns]), ...rows.map((r) => line(columns.map((c) => value(r, c))))].join("\n");
}

/**
 * A duration flag in milliseconds: the config's durations (`500ms`, `30s`,
 * `2m`, `12h`) and days (`7d`, for retention); undefined when not given.
 */
export function parseDurationFlag(text: string, flag: string): number;
export function parseDurationFlag(text: string | undefined, flag: string): number | undefined;
export function parseDurationFlag(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  const days = /^(\d+)d$/.exec(text);
  if (days) return Number(days[1]) * 86_400_000;
  try {
    return parseDuration(text);
  } catch {
    throw new UsageError(`${flag} expects a duration like 500ms, 30s, 2m, 12h or 7d.`);
  }
}
