import os from "node:os";
import { UsageError } from "../cli-error.js";

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
