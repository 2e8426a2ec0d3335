import pg from "pg";
import {
  acquireMigrationLock,
  releaseMigrationLock,
  RUNNER_APPLICATION_NAME,
  type LockKey,
} from "./migration-lock.js";
import { applyPrismaSchema } from "./prisma-history.js";

export interface RunnerSessionOptions {
  /**
   * The server ends this session after it sat idle this long (PG ≥ 14:
   * `idle_session_timeout`; `idle_in_transaction_session_timeout` likewise),
   * which releases the session's advisory lock even when the runner's machine
   * vanished without closing its socket. Default 60 s; 0 disables.
   */
  idleSessionTimeoutMs?: number;
  /**
   * While a statement runs, the server checks this often that the client is
   * still connected and cancels the statement if not (PG ≥ 14:
   * `client_connection_check_interval`), so a runner killed during a long
   * statement does not keep its lock until the statement ends. Default 2 s.
   */
  clientCheckIntervalMs?: number;
}

export interface RunnerSession {
  client: pg.Client;
  serverVersionNum: number;
  /** The settings that were applied (those the server supports). */
  settings: Record<string, string>;
}

/**
 * Opens the connection the migrations run on: tagged with the runner's
 * `application_name` (how `unlock --stale` and the waiting runner recognise
 * an orphaned holder) and with the server-side settings that release a dead
 * runner's lock without anyone's help.
 */
export async function openRunnerSession(
  connectionString: string,
  options: RunnerSessionOptions = {},
): Promise<RunnerSession> {
  const client = new pg.Client({ connectionString, application_name: RUNNER_APPLICATION_NAME });
  await client.connect();
  try {
    const { rows } = await client.query<{ v: string }>(
      "select current_setting('server_version_num') as v",
    );
    const serverVersionNum = Number(rows[0]?.v);
    const settings: Record<string, string> = {};
    if (serverVersionNum >= 140000) {
      const idle = options.idleSessionTimeoutMs ?? 60_000;
      settings.idle_session_timeout = `${idle}ms`;
      settings.idle_in_transaction_session_timeout = `${idle}ms`;
      settings.client_connection_check_interval = `${options.clientCheckIntervalMs ?? 2_000}ms`;
    }
    for (const [name, value] of Object.entries(settings)) {
      await client.query("select set_config($1, $2, false)", [name, value]);
    }
    await applyPrismaSchema(client, connectionString, true);
    return { client, serverVersionNum, settings };
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  }
}

/**
 * Runs `work` on a runner session that holds the migration lock (waiting up
 * to 10 s, never terminating a holder), then releases it: the frame of the
 * one-off, audited commands (accept, resolve, baseline).
 */
export async function withMigrationLockSession<T>(
  connectionString: string,
  key: LockKey,
  work: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const { client } = await openRunnerSession(connectionString);
  try {
    await acquireMigrationLock(client, {
      key,
      timeoutMs: 10_000,
      staleMs: 0,
      onWait: () => undefined,
      onStaleTerminated: () => undefined,
    });
    try {
      return await work(client);
    } finally {
      await releaseMigrationLock(client, key).catch(() => undefined);
    }
  } finally {
    await client.end().catch(() => undefined);
  }
}
