/**
 * The soak's real processes: an embedded Postgres on a persistent data
 * folder, a pgbouncer (session mode) in front of it, and the bakery demo as
 * separate `node` processes by role. Each can be killed (SIGKILL), stopped
 * gracefully (SIGTERM) and started again on the same port.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { chmod, mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from "../../src/db/index.js";
import { freePort } from "../../test/free-port.js";

export { freePort };

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const PGBOUNCER = "/usr/sbin/pgbouncer";

/**
 * Every child this process started and has not seen exit: killed (SIGKILL)
 * when this process exits, whatever the reason (a failed assertion, a
 * timeout, an uncaught error), so a soak never leaves processes behind.
 */
const children = new Set<ChildProcess>();
/** Postmaster pids of the soak's servers: told to stop (SIGQUIT) when this process exits. */
const postmasters = new Set<number>();
const killAll = () => {
  for (const child of children) child.kill("SIGKILL");
  for (const pid of postmasters) {
    try {
      process.kill(pid, "SIGQUIT");
    } catch {
      // already gone
    }
  }
};
process.on("exit", killAll);
// A test runner's timeout ends the file with SIGTERM, which skips "exit" handlers.
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => {
    killAll();
    process.exit(signal === "SIGINT" ? 130 : 143);
  });
}
function track(child: ChildProcess): void {
  children.add(child);
  child.once("exit", () => children.delete(child));
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function retryUntil<T>(what: string, timeoutMs: number, fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (error) {
      if (Date.now() > deadline) {
        throw new Error(`${what}: not ready after ${timeoutMs} ms: ${String(error)}`, {
          cause: error,
        });
      }
      await sleep(250);
    }
  }
}

/** Connects once to `url` and runs `select 1` (the readiness check of Postgres and pgbouncer). */
export async function canQuery(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  client.on("error", () => undefined);
  try {
    await client.connect();
    await client.query("select 1");
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The embedded Postgres, restartable on the same port and data folder. */
export class SoakPostgres {
  private handle: EmbeddedPostgresHandle | undefined;
  restarts = 0;
  constructor(
    readonly dataDir: string,
    readonly port: number,
    private readonly onLog: (line: string) => void,
  ) {}

  get url(): string {
    return `postgres://postgres:opskit-embedded@127.0.0.1:${this.port}/postgres`;
  }
  urlFor(database: string): string {
    return `postgres://postgres:opskit-embedded@127.0.0.1:${this.port}/${database}`;
  }

  async start(): Promise<void> {
    const handle = await startEmbeddedPostgres({
      dataDir: this.dataDir,
      port: this.port,
      persistent: true,
      onLog: this.onLog,
      // The machine is shared and small: no fsync. A restart is a clean or an
      // immediate (crash-like) shutdown of the server, never an OS crash: a
      // commit's WAL, written to the OS before the commit is acknowledged
      // (synchronous_commit on), survives it. synchronous_commit off would
      // not: an immediate shutdown loses the last acknowledged commits (the
      // first soak lost acknowledged webhooks that way).
      settings: {
        fsync: "off",
        full_page_writes: "off",
        max_connections: "200",
      },
    });
    if (handle.port !== this.port) {
      await handle.stop();
      throw new Error(`Postgres came up on ${handle.port}, not ${this.port} (port taken)`);
    }
    this.handle = handle;
    const pid = postmasterPid(this.dataDir);
    if (pid) postmasters.add(pid);
    await retryUntil("postgres", 60_000, () => canQuery(this.url));
  }

  /**
   * Stops the server: `fast` is its clean shutdown (SIGINT: sessions are cut,
   * a checkpoint is written); `immediate` is SIGQUIT to the postmaster, which
   * exits without a checkpoint and recovers from its WAL at the next start.
   */
  async stop(mode: "fast" | "immediate" = "fast"): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    if (!handle) return;
    postmasters.clear();
    if (mode === "immediate") {
      const pid = postmasterPid(this.dataDir);
      if (pid) process.kill(pid, "SIGQUIT");
      await waitGone(pid, 60_000);
      await handle.stop().catch(() => undefined);
    } else {
      await handle.stop();
    }
  }

  async restart(mode: "fast" | "immediate"): Promise<void> {
    await this.stop(mode);
    await this.start();
    this.restarts++;
  }
}

function postmasterPid(dataDir: string): number | undefined {
  try {
    const text = execFileSync("cat", [path.join(dataDir, "postmaster.pid")], { encoding: "utf8" });
    const pid = Number(text.split("\n")[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

async function waitGone(pid: number | undefined, timeoutMs: number): Promise<void> {
  if (!pid) return;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await sleep(100);
  }
  throw new Error(`process ${pid} still running after ${timeoutMs} ms`);
}

/** pgbouncer in session mode between the service and Postgres, restartable on its port. */
export class SoakPgbouncer {
  private child: ChildProcess | undefined;
  private stderr = "";
  restarts = 0;
  constructor(
    readonly dir: string,
    readonly port: number,
    private readonly target: { port: number; database: string },
    private readonly poolSize: number,
  ) {}

  get url(): string {
    return `postgres://postgres:opskit-embedded@127.0.0.1:${this.port}/${this.target.database}`;
  }
  get pid(): number | undefined {
    return this.child?.pid;
  }

  async start(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    // pgbouncer refuses to run as root: it runs as `postgres`, which must read the folder.
    await chmod(this.dir, 0o755);
    await writeFile(path.join(this.dir, "userlist.txt"), `"postgres" "opskit-embedded"\n`, {
      mode: 0o644,
    });
    await writeFile(
      path.join(this.dir, "pgbouncer.ini"),
      [
        "[databases]",
        `${this.target.database} = host=127.0.0.1 port=${this.target.port} dbname=${this.target.database} user=postgres password=opskit-embedded`,
        "[pgbouncer]",
        "listen_addr = 127.0.0.1",
        `listen_port = ${this.port}`,
        "unix_socket_dir =",
        "auth_type = trust",
        `auth_file = ${path.join(this.dir, "userlist.txt")}`,
        // The job queue holds advisory locks and LISTENs: it needs a session per client.
        "pool_mode = session",
        `default_pool_size = ${this.poolSize}`,
        `max_client_conn = ${this.poolSize * 2}`,
        "server_login_retry = 1",
        "ignore_startup_parameters = extra_float_digits,options",
        "",
      ].join("\n"),
      { mode: 0o644 },
    );
    const asRoot = process.getuid?.() === 0;
    const ids = asRoot
      ? {
          uid: Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" })),
          gid: Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" })),
        }
      : {};
    this.stderr = "";
    const child = spawn(PGBOUNCER, [path.join(this.dir, "pgbouncer.ini")], {
      ...ids,
      stdio: ["ignore", "ignore", "pipe"],
    });
    track(child);
    child.stderr?.on("data", (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString()).slice(-4000);
    });
    this.child = child;
    await retryUntil("pgbouncer", 60_000, async () => {
      if (child.exitCode !== null) {
        throw new Error(`pgbouncer exited (${child.exitCode}): ${this.stderr}`);
      }
      await canQuery(this.url);
    });
  }

  /** SIGTERM is pgbouncer's immediate shutdown: every client and server connection is cut. */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, "exit");
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
    await exited;
    clearTimeout(timer);
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
    this.restarts++;
  }
}

export type Role = "api" | "worker";

/** One process of the bakery demo, by role, on a fixed port (so it comes back where it was). */
export class DemoProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<unknown> = Promise.resolve();
  private stderrTail = "";
  kills = 0;
  restarts = 0;
  /** Exits nobody asked for (not a kill or a stop of chaos or the harness): a crash. */
  readonly unexpectedExits: {
    at: string;
    pid: number | undefined;
    code: number | null;
    signal: string | null;
  }[] = [];
  private expectingExit = false;
  /** Every pid this process had, in order (memory is sampled per pid). */
  readonly pids: number[] = [];
  constructor(
    readonly name: string,
    readonly role: Role,
    readonly port: number,
    private readonly env: Record<string, string>,
    /** Where its output goes (both streams, appended across restarts). */
    readonly logFile: string,
    /**
     * Node options before the demo's entry point: the soak's memory probe
     * (`--import ./bench/soak/memory-probe.ts`) and heap-snapshot signal.
     */
    private readonly nodeArgs: readonly string[] = [],
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }
  get pid(): number | undefined {
    return this.child && this.child.exitCode === null && this.child.signalCode === null
      ? this.child.pid
      : undefined;
  }
  get lastStderr(): string {
    return this.stderrTail;
  }

  async start(): Promise<void> {
    const child = spawn(
      process.execPath,
      [
        "--conditions=opskit-source",
        "--import",
        "tsx",
        ...this.nodeArgs,
        "examples/bakery/main.ts",
      ],
      {
        cwd: ROOT,
        env: {
          PATH: process.env.PATH,
          // For debugging a run: e.g. SOAK_NODE_OPTIONS="--import /path/to/hook.mjs".
          ...(process.env.SOAK_NODE_OPTIONS ? { NODE_OPTIONS: process.env.SOAK_NODE_OPTIONS } : {}),
          ...this.env,
          OPSKIT_ROLE: this.role,
          PORT: String(this.port),
        },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    this.child = child;
    track(child);
    this.expectingExit = false;
    this.exited = once(child, "exit").catch(() => undefined);
    child.once("exit", (code, signal) => {
      if (!this.expectingExit) {
        this.unexpectedExits.push({ at: new Date().toISOString(), pid: child.pid, code, signal });
      }
    });
    const out = createWriteStream(this.logFile, { flags: "a" });
    out.write(`--- ${new Date().toISOString()} ${this.name} pid ${child.pid} starts\n`);
    child.stdout?.pipe(out, { end: false });
    child.stderr?.on("data", (chunk: Buffer) => {
      out.write(chunk);
      this.stderrTail = (this.stderrTail + chunk.toString()).slice(-8000);
    });
    void this.exited.then(() => out.end());
    if (child.pid) this.pids.push(child.pid);
    await retryUntil(`${this.name} /readyz`, 120_000, async () => {
      if (child.exitCode !== null) {
        throw new Error(`${this.name} exited (${child.exitCode}): ${this.stderrTail.slice(-2000)}`);
      }
      const res = await fetch(`${this.url}/readyz`, { signal: AbortSignal.timeout(3000) });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`readyz ${res.status}`);
    });
  }

  /** SIGKILL: no drain, no cleanup; the process's leases expire and are rescued. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    this.expectingExit = true;
    child.kill("SIGKILL");
    await this.exited;
    this.kills++;
  }

  /** SIGTERM: the graceful shutdown (drain, then exit); SIGKILL after `timeoutMs`. */
  async stop(timeoutMs = 60_000): Promise<number | null> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null)
      return child?.exitCode ?? null;
    this.expectingExit = true;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    await this.exited;
    clearTimeout(timer);
    return child.exitCode;
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
    this.restarts++;
  }

  /** Sends `signal` to the running process (e.g. SIGUSR2 for a heap snapshot); false if it is down. */
  signal(signal: NodeJS.Signals): boolean {
    const pid = this.pid;
    if (pid === undefined) return false;
    try {
      process.kill(pid, signal);
      return true;
    } catch {
      return false;
    }
  }
}
