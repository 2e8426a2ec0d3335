import pg, { type Notification } from "pg";
import type { Pool } from "../db/index.js";
import type { Logger } from "../log/index.js";
import { toError } from "../errors.js";

export interface NotificationListener {
  close(): Promise<void>;
}

/** One connection that LISTENs: a pool's, or one of its own. */
interface ListenConnection {
  client: pg.ClientBase;
  release(error?: Error): void;
}

/**
 * A connection of its own to `url`: LISTEN needs one server session for as
 * long as it listens, which a transaction-mode pooler does not keep, so a
 * worker whose pool goes through one listens on a direct connection.
 */
async function connectDirect(url: string, applicationName: string): Promise<ListenConnection> {
  const client = new pg.Client({
    connectionString: url,
    application_name: applicationName,
    keepAlive: true,
  });
  // Until the listener attaches its own handler: a failed connect must not crash the process.
  const early = () => undefined;
  client.on("error", early);
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  }
  client.off("error", early);
  return { client, release: () => void client.end().catch(() => undefined) };
}

/**
 * Holds one connection that LISTENs on `channels` (a pool connection, or a
 * connection of its own to `url` when given), and reconnects with backoff
 * when it drops (a Postgres restart). After each (re)connect it calls
 * `onNotification` with channel "" so the owner can poll once: anything sent
 * while it was away was lost.
 */
export function listenForNotifications(options: {
  pool: Pool;
  /** Listen on a connection of its own to this URL instead of a pool connection. */
  url?: string | undefined;
  /** pg_stat_activity's application_name of that connection; default "opskit-jobs-listener". */
  applicationName?: string;
  channels: string[];
  onNotification: (channel: string, payload: string) => void;
  log: Logger;
}): NotificationListener {
  let held: ListenConnection | undefined;
  let closed = false;
  let retryTimer: NodeJS.Timeout | undefined;
  let failures = 0;

  const onMessage = (msg: Notification) => options.onNotification(msg.channel, msg.payload ?? "");
  const open = async (): Promise<ListenConnection> => {
    if (options.url !== undefined)
      return connectDirect(options.url, options.applicationName ?? "opskit-jobs-listener");
    const c = await options.pool.connect();
    return { client: c, release: (error) => c.release(error) };
  };

  const connect = async (): Promise<void> => {
    if (closed) return;
    let c: ListenConnection | undefined;
    try {
      c = await open();
      const current = c;
      current.client.on("notification", onMessage);
      current.client.on("error", (error) => drop(current, error));
      for (const channel of options.channels) await current.client.query(`listen ${channel}`);
      if (closed) {
        current.release();
        return;
      }
      held = current;
      failures = 0;
      options.onNotification("", "");
    } catch (error) {
      if (c) c.release(toError(error));
      retry(error);
    }
  };
  const drop = (c: ListenConnection, error: Error) => {
    if (held !== c) return;
    held = undefined;
    c.client.off("notification", onMessage);
    c.release(error);
    retry(error);
  };
  const retry = (error: unknown) => {
    if (closed) return;
    failures++;
    options.log.warn(
      { err: toError(error), failures },
      "the job notification listener lost its connection; reconnecting",
    );
    retryTimer = setTimeout(
      () => void connect(),
      Math.min(5_000, 100 * 2 ** Math.min(failures, 6)),
    );
  };
  void connect();

  return {
    async close() {
      closed = true;
      clearTimeout(retryTimer);
      const c = held;
      held = undefined;
      if (c) {
        c.client.off("notification", onMessage);
        await c.client.query("unlisten *").catch(() => undefined);
        c.release();
      }
    },
  };
}
