import { execFileSync } from "node:child_process";

let cached: { uid?: number; gid?: number } | undefined;

/**
 * Who runs Postgres' own programs (the server, pgBackRest): this process's
 * user, or — when this process is root, which Postgres refuses — the
 * `postgres` user (the one the embedded Postgres creates and runs as).
 * Returned as spawn options (`{ uid, gid }`, or `{}` when no switch is needed).
 */
export function runAsPostgres(): { uid?: number; gid?: number } {
  if (cached) return cached;
  if (process.getuid?.() !== 0) return (cached = {});
  const id = (flag: string) =>
    Number(execFileSync("id", [flag, "postgres"], { encoding: "utf8" }).trim());
  return (cached = { uid: id("-u"), gid: id("-g") });
}
