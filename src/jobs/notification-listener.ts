import type { Notification } from "pg";
import type { Pool, PoolClient } from "../db/index.js";
import type { Logger } from "../log/index.js";
import { toError } from "../errors.js";

export interface NotificationListener {
  close(): Promise<void>;
}

/**
 * Holds one pool connection that LISTENs on `channels`, and reconnects with
 * backoff when it drops (a Postgres restart). After each (re)connect it calls
 * `onNotification` with channel "" so the owner can poll once: anything sent
 * while it was away was lost.
 */
export function listenForNotifications(options: {
  pool: Pool;
  channels: string[];
  onNotification: (channel: string, payload: string) => void;
  log: Logger;
}): NotificationListener {
  let client: PoolClient | undefined;
  let closed = false;
  let retryTimer: NodeJS.Timeout | undefined;
  let failures = 0;

  const onMessage = (msg: Notification) => options.onNotification(msg.channel, msg.payload ?? "");

  const connect = async (): Promise<void> => {
    if (closed) return;
    let c: PoolClient | undefined;
    try {
      c = await options.pool.connect();
      const current = c;
      current.on("notification", onMessage);
      current.on("error", (error) => drop(current, error));
      for (const channel of options.channels) await current.query(`listen ${channel}`);
      if (closed) {
        current.release();
        return;
      }
      client = current;
      failures = 0;
      options.onNotification("", "");
    } catch (error) {
      if (c) c.release(toError(error));
      retry(error);
    }
  };
  const drop = (c: PoolClient, error: Error) => {
    if (client !== c) return;
    client = undefined;
    c.off("notification", onMessage);
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
      const c = client;
      client = undefined;
      if (c) {
        c.off("notification", onMessage);
        await c.query("unlisten *").catch(() => undefined);
        c.release();
      }
    },
  };
}
