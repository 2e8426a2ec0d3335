import { performance } from "node:perf_hooks";
import pg from "pg";
import { OpskitError, toError } from "../errors.js";
import {
  formatTarget,
  parseConnectionTarget,
  poolTarget,
  type ConnectionTarget,
} from "./connection-target.js";
import type { Pool } from "./pool.js";
import { withClient } from "./with-client.js";

/** What the boot check learned about the server. */
export interface DatabaseInfo {
  /** e.g. "15.18" */
  serverVersion: string;
  /** e.g. 150018: compare this, not the string. */
  serverVersionNum: number;
  /** One round trip of the check query, in milliseconds (connecting not included). */
  latencyMs: number;
  database: string;
  user: string;
}

export interface CheckDatabaseOptions {
  /** Bound on connecting and on the check query; default 5000. */
  timeoutMs?: number;
}

const CHECK_SQL = `select current_setting('server_version') as version,
  current_setting('server_version_num')::int as version_num,
  current_database() as database, current_user as "user"`;

/**
 * Connects once and asks the server who it is: the boot check that turns a
 * wrong `DATABASE_URL` into one clear message (host, port, database and the
 * reason; never the password) instead of a stack trace on the first request.
 *
 * @example
 * const info = await checkDatabase(process.env.DATABASE_URL!, { timeoutMs: 3000 });
 * log.info({ server_version: info.serverVersion, latency_ms: info.latencyMs }, "database reachable");
 */
export async function checkDatabase(
  pool: Pool | string,
  options: CheckDatabaseOptions = {},
): Promise<DatabaseInfo> {
  const timeoutMs = options.timeoutMs ?? 5000;
  if (typeof pool !== "string") {
    const target = poolTarget(pool);
    try {
      const client = await pool.connect();
      try {
        return await runCheck(client, timeoutMs);
      } finally {
        client.release();
      }
    } catch (error) {
      throw connectFailure(error, target, pool.options.password);
    }
  }
  const target = parseConnectionTarget(pool);
  if (target === undefined) {
    // No cause: a URL parse error carries the URL (and its password) in `input`.
    throw new OpskitError(
      "DB_CONNECT_FAILED",
      "The database URL could not be parsed; expected postgres://user:password@host:port/database. " +
        "Fix DATABASE_URL (percent-encode special characters in the password).",
    );
  }
  try {
    // Errors after a failed connect are already reported by connect(); an
    // unhandled "error" event would crash the process instead.
    return await withClient(
      pool,
      {
        connectionTimeoutMillis: timeoutMs,
        application_name: "opskit-check",
        ignoreErrorEvents: true,
      },
      (client) => runCheck(client, timeoutMs),
    );
  } catch (error) {
    throw connectFailure(error, target, passwordOf(pool));
  }
}

async function runCheck(client: pg.ClientBase, timeoutMs: number): Promise<DatabaseInfo> {
  const started = performance.now();
  const { rows } = await client.query<{
    version: string;
    version_num: number;
    database: string;
    user: string;
  }>({ text: CHECK_SQL, query_timeout: timeoutMs } as pg.QueryConfig);
  const latencyMs = Math.round((performance.now() - started) * 10) / 10;
  const row = rows[0]!;
  return {
    serverVersion: row.version,
    serverVersionNum: row.version_num,
    latencyMs,
    database: row.database,
    user: row.user,
  };
}

/** The reason in plain words and what to do about it, keyed by node code or SQLSTATE. */
function explain(error: Error & { code?: string }): { reason: string; next: string } {
  const code = error.code ?? aggregateCode(error);
  switch (code) {
    case "ECONNREFUSED":
      return {
        reason: "connection refused (ECONNREFUSED)",
        next: "Check that the server is running and that the host and port in DATABASE_URL are right.",
      };
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return {
        reason: `the host name did not resolve (${code})`,
        next: "Check the host in DATABASE_URL and this machine's DNS.",
      };
    case "ETIMEDOUT":
    case "EHOSTUNREACH":
    case "ENETUNREACH":
      return {
        reason: `the network did not answer (${code})`,
        next: "Check firewalls and security groups between this service and the database.",
      };
    case "28P01":
      return {
        reason: "password authentication failed (28P01)",
        next: "Check the user and password in DATABASE_URL (and that the secret was rotated everywhere).",
      };
    case "28000":
      return {
        reason: `the server refused this user or client (28000: ${error.message})`,
        next: "Check that the role exists and that pg_hba.conf allows this host, user and database (and SSL mode).",
      };
    case "3D000":
      return {
        reason: "the database does not exist (3D000)",
        next: "Create it (createdb) or fix the database name in DATABASE_URL.",
      };
    case "53300":
      return {
        reason: "the server has too many connections (53300)",
        next: "Lower pool sizes (OPSKIT_DB_POOL_MAX × replicas) or put a session-mode pooler in front.",
      };
    case "57P03":
      return {
        reason: "the server is starting up or shutting down (57P03)",
        next: "Retry in a moment; if it persists, check the server's own log.",
      };
  }
  if (error.message.startsWith("Connection terminated")) {
    return {
      reason: "the connection was closed before the server answered",
      next: "Check that the port is a Postgres server's, that SSL mode matches, and the server's log.",
    };
  }
  if (/timeout/i.test(error.message)) {
    return {
      reason: "no answer within the connect timeout",
      next: "Check that the host and port are right and reachable from here, and that the server is not overloaded.",
    };
  }
  if (/ssl|tls|certificate/i.test(error.message)) {
    return {
      reason: `an SSL problem (${error.message})`,
      next: "Check sslmode in DATABASE_URL against what the server requires.",
    };
  }
  return {
    reason: code ? `${error.message} (${code})` : error.message,
    next: "Check DATABASE_URL and the server's log.",
  };
}

function connectFailure(
  thrown: unknown,
  target: ConnectionTarget | undefined,
  password: unknown,
): OpskitError {
  const error = toError(thrown) as Error & { code?: string };
  const { reason, next } = explain(error);
  const where = target === undefined ? "the database" : formatTarget(target);
  const as = target?.user === undefined ? "" : ` as user "${target.user}"`;
  const message = scrub(`Could not connect to ${where}${as}: ${reason}. ${next}`, password);
  return new OpskitError("DB_CONNECT_FAILED", message, {
    cause: error,
    details: {
      target: target === undefined ? undefined : formatTarget(target),
      code: error.code ?? aggregateCode(error),
    },
  });
}

// Postgres never echoes a password, but a proxy or a driver message might: belt and braces.
function scrub(text: string, password: unknown): string {
  return typeof password === "string" && password.length >= 3
    ? text.split(password).join("***")
    : text;
}

function passwordOf(url: string): string | undefined {
  try {
    return decodeURIComponent(new URL(url).password) || undefined;
  } catch {
    return undefined;
  }
}

function aggregateCode(error: Error): string | undefined {
  if (!(error instanceof AggregateError)) return undefined;
  const first = error.errors.find((e: unknown): e is { code: string } => {
    return typeof (e as { code?: unknown } | null)?.code === "string";
  });
  return first?.code;
}
