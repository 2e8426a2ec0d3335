import { spawn } from "node:child_process";
import { access, constants } from "node:fs/promises";
import path from "node:path";
import { OpskitError } from "../errors.js";

/** The client programs a backup and a drill run. */
export type PgTool = "pg_dump" | "pg_restore" | "pg_amcheck";

const found = new Map<string, string>();

/**
 * The path of `tool` whose major version is `major`: PATH first, then
 * Debian's `/usr/lib/postgresql/<major>/bin` (where `pg_amcheck` only is, and
 * where every installed major keeps its own copy). A pg_dump older than the
 * server refuses to dump it, and a pg_restore must read what pg_dump wrote,
 * so the major must match the server's.
 *
 * @example
 * const pgDump = await findPgTool("pg_dump", 15); // "/usr/bin/pg_dump"
 */
export async function findPgTool(tool: PgTool, major: number): Promise<string> {
  const key = `${tool}@${major}`;
  const cached = found.get(key);
  if (cached) return cached;
  const onPath = (process.env.PATH ?? "").split(path.delimiter).filter(Boolean);
  const candidates = [
    ...onPath.map((dir) => path.join(dir, tool)),
    path.join("/usr/lib/postgresql", String(major), "bin", tool),
  ];
  const seen: string[] = [];
  for (const candidate of candidates) {
    if (!(await executable(candidate))) continue;
    const version = await toolMajor(candidate);
    seen.push(`${candidate} (${version ?? "?"})`);
    if (version === major) {
      found.set(key, candidate);
      return candidate;
    }
  }
  throw new OpskitError(
    "BACKUP_TOOL_MISSING",
    `${tool} ${major} was not found on PATH or in /usr/lib/postgresql/${major}/bin` +
      (seen.length ? ` (found: ${seen.join(", ")})` : "") +
      `. Install it: apt-get install postgresql-client-${major}.`,
  );
}

async function executable(file: string): Promise<boolean> {
  return access(file, constants.X_OK).then(
    () => true,
    () => false,
  );
}

async function toolMajor(file: string): Promise<number | undefined> {
  const result = await runTool(file, ["--version"]).catch(() => undefined);
  const match = /\(PostgreSQL\)\s+(\d+)/.exec(result?.stdout ?? "");
  return match ? Number(match[1]) : undefined;
}

export interface ToolResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunToolOptions {
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  /** Run as this user and group (pgBackRest runs as the server's user). */
  uid?: number;
  gid?: number;
  /** Each stderr line as it comes (pg_dump and pg_restore `--verbose` progress). */
  onStderrLine?: (line: string) => void;
}

/** Runs a program to its end; never throws on a non-zero exit (the caller reads `code`). */
export function runTool(
  file: string,
  args: string[],
  options: RunToolOptions = {},
): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      env: { ...process.env, ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.uid === undefined ? {} : { uid: options.uid, gid: options.gid }),
    });
    let stdout = "";
    let stderr = "";
    let partial = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => {
      const text = chunk.toString("utf8");
      // Keep the tail only: pg_restore --verbose on a big database says a lot.
      stderr = (stderr + text).slice(-64_000);
      if (!options.onStderrLine) return;
      const lines = (partial + text).split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) options.onStderrLine(line);
    });
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** The last meaningful lines of a tool's stderr, for an error message. */
export function tail(stderr: string, lines = 4): string {
  return stderr
    .split("\n")
    .filter(
      (l) =>
        l.trim() &&
        !/^pg_(dump|restore): (processing|creating|dumping|reading|saving|identifying|finding|flagging|last built-in|launching|finished|executing|setting)/.test(
          l.trim(),
        ),
    )
    .slice(-lines)
    .join(" | ");
}

/** libpq environment for a connection URL, so that no password appears in a process list. */
export function libpqEnv(url: string): NodeJS.ProcessEnv {
  const u = new URL(url);
  const env: NodeJS.ProcessEnv = {
    PGHOST: u.searchParams.get("host") ?? (u.hostname.replace(/^\[|\]$/g, "") || "localhost"),
    PGPORT: u.port || "5432",
    PGDATABASE: decodeURIComponent(u.pathname.slice(1)) || "postgres",
  };
  if (u.username) env.PGUSER = decodeURIComponent(u.username);
  if (u.password) env.PGPASSWORD = decodeURIComponent(u.password);
  const sslmode = u.searchParams.get("sslmode");
  if (sslmode) env.PGSSLMODE = sslmode;
  return env;
}
