import type { Pool, PoolClient } from "../db/index.js";
import type { HealthCheck } from "./health-check.js";

export interface PostgresCheckOptions {
  /** Component name; default "postgres". */
  name?: string;
  /** The probe statement, without parameters; default "select 1". */
  query?: string;
  /** Default 500 ms; also the server-side `statement_timeout` of the probe statement. */
  timeoutMs?: number;
  /** Default true. */
  critical?: boolean;
  /** e.g. the database host; never a connection string. */
  componentId?: string;
}

/** Rejects with the signal's reason as soon as it aborts; the late settlement of `work` is swallowed. */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: Error) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

async function connect(pool: Pool, signal: AbortSignal): Promise<PoolClient> {
  const connecting = pool.connect();
  try {
    return await untilAborted(connecting, signal);
  } catch (error) {
    // pg cannot cancel a queued connect: when the client arrives later, hand it straight back.
    if (signal.aborted) {
      connecting.then(
        (client) => client.release(),
        () => undefined,
      );
    }
    throw error;
  }
}

/**
 * A readiness check that runs `select 1` on a pool client. It is bounded
 * twice: on the server by `statement_timeout` (set for this statement only),
 * and on the client by the check's abort signal — on abort the client is
 * destroyed rather than returned busy, so a hung database never leaves the
 * pool with a client stuck in a query.
 *
 * @example
 * const health = createHealth({ checks: [postgresCheck(pool, { componentId: "db-primary" })] });
 */
export function postgresCheck(pool: Pool, options: PostgresCheckOptions = {}): HealthCheck {
  const timeoutMs = options.timeoutMs ?? 500;
  // `set local` in the same simple-query string applies to this implicit
  // transaction only, so the pooled session keeps its own settings.
  const sql = `set local statement_timeout = ${Math.max(1, Math.ceil(timeoutMs))}; ${options.query ?? "select 1"}`;
  return {
    name: options.name ?? "postgres",
    measurement: "responseTime",
    componentType: "datastore",
    timeoutMs,
    critical: options.critical ?? true,
    ...(options.componentId === undefined ? {} : { componentId: options.componentId }),
    async run(signal) {
      const client = await connect(pool, signal);
      let released = false;
      // Releasing with an error removes the client from the pool and closes its
      // socket: after an abort or a failed probe the connection is not worth reusing.
      const destroy = () => {
        if (released) return;
        released = true;
        client.release(new Error("postgres health check aborted or failed"));
      };
      signal.addEventListener("abort", destroy, { once: true });
      try {
        await untilAborted(client.query(sql), signal);
      } catch (error) {
        destroy();
        throw error;
      } finally {
        signal.removeEventListener("abort", destroy);
        if (!released) client.release();
      }
    },
  };
}
