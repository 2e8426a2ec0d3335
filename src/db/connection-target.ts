import type pg from "pg";

/** Where a connection goes, without its credentials: safe for messages and logs. */
export interface ConnectionTarget {
  host: string;
  port: number;
  database: string;
  user: string | undefined;
}

/**
 * Parses a `postgres://` URL into its target. Returns undefined when the URL
 * cannot be parsed; callers must then not echo the URL (it may hold a password).
 */
export function parseConnectionTarget(url: string): ConnectionTarget | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (parsed.protocol !== "postgres:" && parsed.protocol !== "postgresql:") return undefined;
  const user = parsed.username ? safeDecode(parsed.username) : undefined;
  // `?host=/var/run/postgresql` is how a URL names a unix socket folder.
  const host = parsed.searchParams.get("host") ?? (safeDecode(parsed.hostname) || "localhost");
  const port = Number(parsed.searchParams.get("port") ?? parsed.port) || 5432;
  const database = safeDecode(parsed.pathname.replace(/^\//, "")) || user || "postgres";
  return { host, port, database, user };
}

/**
 * `host:port/database` for a connection URL, never its password: the form
 * every database message in the toolkit uses.
 *
 * @example
 * describeConnectionTarget("postgres://app:hunter2@db.internal:5432/shop"); // "db.internal:5432/shop"
 */
export function describeConnectionTarget(url: string): string {
  const target = parseConnectionTarget(url);
  return target === undefined ? "(unparseable connection string)" : formatTarget(target);
}

export function formatTarget(target: ConnectionTarget): string {
  return `${target.host}:${target.port}/${target.database}`;
}

/** The target of a pool, from its connection string or its separate fields. */
export function poolTarget(pool: pg.Pool): ConnectionTarget | undefined {
  const options = pool.options;
  if (options.connectionString) return parseConnectionTarget(options.connectionString);
  const user = options.user ?? process.env.PGUSER;
  return {
    host: options.host ?? process.env.PGHOST ?? "localhost",
    port: Number(options.port ?? process.env.PGPORT) || 5432,
    database: options.database ?? process.env.PGDATABASE ?? user ?? "postgres",
    user,
  };
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
