/**
 * A pgbouncer (Debian's /usr/sbin/pgbouncer) in front of one database, for
 * tests and benchmarks of the queue through a pooler. Listens on an
 * ephemeral port unless given one; runs as `postgres` when started by root
 * (pgbouncer refuses root).
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import pg from "pg";
import { freePort } from "./free-port.js";

export const PGBOUNCER = "/usr/sbin/pgbouncer";
export const PGBOUNCER_MISSING = existsSync(PGBOUNCER)
  ? undefined
  : `pgbouncer is not installed at ${PGBOUNCER} (apt-get install pgbouncer)`;

export interface Pgbouncer {
  /** The pooled URL (same user and password as the target). */
  url: string;
  /** SIGINT (pgbouncer's safe shutdown) by default; `immediate` sends SIGTERM and cuts every connection. */
  stop(options?: { immediate?: boolean }): Promise<void>;
}

export interface PgbouncerOptions {
  poolMode: "session" | "transaction";
  /** Server connections for the database; default 2. */
  poolSize?: number;
  maxClientConn?: number;
  port?: number;
  /** Seconds before pgbouncer retries a server after a failed login (its default waits 15). */
  serverLoginRetry?: number;
}

export async function startPgbouncer(targetUrl: string, o: PgbouncerOptions): Promise<Pgbouncer> {
  const target = new URL(targetUrl);
  const dbName = decodeURIComponent(target.pathname.slice(1));
  const dir = await mkdtemp(path.join(os.tmpdir(), "opskit-pgbouncer-"));
  await chmod(dir, 0o755);
  const port = o.port ?? (await freePort());
  const user = decodeURIComponent(target.username);
  const password = decodeURIComponent(target.password);
  await writeFile(path.join(dir, "userlist.txt"), `"${user}" "${password}"\n`, { mode: 0o644 });
  await writeFile(
    path.join(dir, "pgbouncer.ini"),
    [
      "[databases]",
      `${dbName} = host=${target.hostname} port=${target.port} dbname=${dbName} user=${user} password=${password}`,
      "[pgbouncer]",
      "listen_addr = 127.0.0.1",
      `listen_port = ${port}`,
      "unix_socket_dir =",
      "auth_type = trust",
      `auth_file = ${path.join(dir, "userlist.txt")}`,
      `pool_mode = ${o.poolMode}`,
      `default_pool_size = ${o.poolSize ?? 2}`,
      `max_client_conn = ${o.maxClientConn ?? 100}`,
      "ignore_startup_parameters = extra_float_digits",
      ...(o.serverLoginRetry === undefined ? [] : [`server_login_retry = ${o.serverLoginRetry}`]),
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
  const child = spawn(PGBOUNCER, [path.join(dir, "pgbouncer.ini")], {
    ...ids,
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  // Never left behind when the test process dies.
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  const url = `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${port}/${dbName}`;
  try {
    await waitUntilAccepting(url, child, () => stderr);
  } catch (error) {
    child.kill();
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    url,
    stop: async (options) => {
      process.off("exit", killOnExit);
      if (child.exitCode === null) {
        child.kill(options?.immediate ? "SIGTERM" : "SIGINT");
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function waitUntilAccepting(url: string, child: ChildProcess, log: () => string) {
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`pgbouncer exited (${child.exitCode}): ${log()}`);
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
    client.on("error", () => undefined);
    try {
      await client.connect();
      await client.query("select 1");
      return;
    } catch (error) {
      if (Date.now() > deadline)
        throw new Error(`pgbouncer did not accept connections: ${String(error)}\n${log()}`, {
          cause: error,
        });
    } finally {
      await client.end().catch(() => undefined);
    }
    await delay(50); // between attempts only; readiness itself is the successful connection
  }
}
