/**
 * Samples the processes' resident memory (VmRSS in /proc/<pid>/status), open
 * file descriptors (/proc/<pid>/fd) and the server's connections
 * (pg_stat_activity, asked directly of Postgres, not through pgbouncer).
 */
import { readdir, readFile } from "node:fs/promises";
import pg from "pg";

export interface ProcessSample {
  /** ms since the soak started. */
  at: number;
  name: string;
  pid: number;
  rssKb: number;
  fds: number;
}

export interface ConnectionSample {
  at: number;
  /** Client backends on the server (all databases), null while Postgres is down. */
  connections: number | null;
}

export async function sampleProcess(
  name: string,
  pid: number,
  at: number,
): Promise<ProcessSample | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, "utf8");
    const rss = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    const fds = (await readdir(`/proc/${pid}/fd`)).length;
    if (!rss) return undefined;
    return { at, name, pid, rssKb: Number(rss[1]), fds };
  } catch {
    return undefined; // the process is gone (killed between the pid read and the sample)
  }
}

export async function sampleConnections(url: string, at: number): Promise<ConnectionSample> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  client.on("error", () => undefined);
  try {
    await client.connect();
    const { rows } = await client.query<{ n: number }>(
      "select count(*)::int as n from pg_stat_activity where backend_type = 'client backend' and pid <> pg_backend_pid()",
    );
    return { at, connections: rows[0]!.n };
  } catch {
    return { at, connections: null };
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Least-squares slope of y over x (per unit of x); undefined with fewer than 2 distinct x. */
export function slope(points: readonly { x: number; y: number }[]): number | undefined {
  const n = points.length;
  if (n < 2) return undefined;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.x - mx) * (p.y - my);
    den += (p.x - mx) ** 2;
  }
  return den === 0 ? undefined : num / den;
}
