/**
 * What the soak's processes logged at warn and above, grouped by message:
 * expected lines (a database that went away during a restart) and
 * unexpected ones (an unhandled rejection) side by side, with counts.
 */
import { readFile } from "node:fs/promises";

export interface LogSummary {
  process: string;
  levels: Record<string, number>;
  /** The most frequent warn+ messages (with one example's code and error message). */
  top: { level: string; msg: string; n: number; example: string }[];
  /** Lines that are not JSON (a crash's stack trace, a runtime warning). */
  raw: string[];
}

export async function summarizeLog(name: string, file: string): Promise<LogSummary> {
  let text = "";
  try {
    text = await readFile(file, "utf8");
  } catch {
    // never started
  }
  const levels: Record<string, number> = {};
  const byMsg = new Map<string, { level: string; msg: string; n: number; example: string }>();
  const raw: string[] = [];
  for (const line of text.split("\n")) {
    if (line.trim() === "" || line.startsWith("--- ")) continue;
    let entry: { level?: unknown; msg?: unknown; code?: unknown; err?: { message?: unknown } };
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      if (raw.length < 40) raw.push(line.slice(0, 300));
      continue;
    }
    const level = String(entry.level);
    levels[level] = (levels[level] ?? 0) + 1;
    if (!["warn", "error", "fatal"].includes(level)) continue;
    const msg = typeof entry.msg === "string" ? entry.msg : JSON.stringify(entry.msg ?? "");
    const key = `${level}|${msg}`;
    const seen = byMsg.get(key);
    if (seen) seen.n++;
    else {
      const code = typeof entry.code === "string" ? `${entry.code}: ` : "";
      const err = typeof entry.err?.message === "string" ? entry.err.message : "";
      byMsg.set(key, { level, msg, n: 1, example: `${code}${err}`.slice(0, 300) });
    }
  }
  return {
    process: name,
    levels,
    top: [...byMsg.values()].sort((a, b) => b.n - a.n).slice(0, 15),
    raw,
  };
}
