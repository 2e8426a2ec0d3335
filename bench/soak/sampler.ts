/**
 * Samples the processes' resident memory (VmRSS in /proc/<pid>/status), open
 * file descriptors (/proc/<pid>/fd), their V8 memory (what the soak's memory
 * probe, bench/soak/memory-probe.ts, last wrote from `process.memoryUsage()`
 * inside the process) and the server's connections (pg_stat_activity, asked
 * directly of Postgres, not through pgbouncer).
 */
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import pg from "pg";

/** `process.memoryUsage()` of the process, in kB, as its probe last wrote it. */
export interface V8Memory {
  heapUsedKb: number;
  heapTotalKb: number;
  externalKb: number;
  arrayBuffersKb: number;
  /** How old the probe's figures were when sampled (ms; the probe writes every 2 s). */
  ageMs: number;
}

export interface ProcessSample {
  /** ms since the soak started. */
  at: number;
  name: string;
  pid: number;
  rssKb: number;
  /**
   * RSS split as /proc/<pid>/status does: anonymous memory (V8's heap, malloc)
   * and file-backed pages (the node binary and libraries, paged in as code
   * paths first run: grows early, bounded by the files' size).
   */
  rssAnonKb?: number;
  rssFileKb?: number;
  fds: number;
  /** Absent when the process has no probe (or it has not written yet). */
  v8?: V8Memory;
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
  /** The memory probe's folder (SOAK_MEMORY_PROBE_DIR of the process), if it runs one. */
  probeDir?: string,
): Promise<ProcessSample | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, "utf8");
    const rss = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    const fds = (await readdir(`/proc/${pid}/fd`)).length;
    if (!rss) return undefined;
    const anon = /^RssAnon:\s+(\d+)\s+kB/m.exec(status);
    const file = /^RssFile:\s+(\d+)\s+kB/m.exec(status);
    const v8 = probeDir ? await readProbe(probeDir, pid) : undefined;
    return {
      at,
      name,
      pid,
      rssKb: Number(rss[1]),
      ...(anon ? { rssAnonKb: Number(anon[1]) } : {}),
      ...(file ? { rssFileKb: Number(file[1]) } : {}),
      fds,
      ...(v8 ? { v8 } : {}),
    };
  } catch {
    return undefined; // the process is gone (killed between the pid read and the sample)
  }
}

/** The probe's last figures for `pid`, or undefined (not written yet, or unreadable). */
export async function readProbe(dir: string, pid: number): Promise<V8Memory | undefined> {
  try {
    const raw = JSON.parse(await readFile(path.join(dir, `memory-${pid}.json`), "utf8")) as Record<
      string,
      unknown
    >;
    const kb = (key: string) => {
      const v = raw[key];
      if (typeof v !== "number" || !Number.isFinite(v)) throw new Error(`probe: ${key} missing`);
      return Math.round(v / 1024);
    };
    const t = raw.t;
    if (typeof t !== "number") return undefined;
    return {
      heapUsedKb: kb("heapUsed"),
      heapTotalKb: kb("heapTotal"),
      externalKb: kb("external"),
      arrayBuffersKb: kb("arrayBuffers"),
      ageMs: Math.max(0, Date.now() - t),
    };
  } catch {
    return undefined;
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
