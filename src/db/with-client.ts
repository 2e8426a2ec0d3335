import pg from "pg";

export interface WithClientOptions extends Omit<pg.ClientConfig, "connectionString"> {
  /**
   * Swallow the client's "error" events. For short-lived sessions whose
   * failures surface through the awaited calls: an unhandled "error" event
   * (the server going away between two queries) would crash the process.
   */
  ignoreErrorEvents?: boolean;
}

/**
 * Runs `fn` on a dedicated connection to `url` (not a pool's: for session
 * state such as advisory locks and `set_config`, or a one-off command), and
 * always ends it, whatever `fn` does. An error ending the session is
 * dropped so that it cannot hide the error `fn` threw.
 *
 * @example
 * const version = await withClient(url, { application_name: "opskit-doctor" }, async (client) =>
 *   (await client.query<{ v: string }>("show server_version")).rows[0]!.v,
 * );
 */
export async function withClient<T>(
  url: string,
  options: WithClientOptions,
  fn: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const { ignoreErrorEvents, ...config } = options;
  const client = new pg.Client({ ...config, connectionString: url });
  if (ignoreErrorEvents) client.on("error", () => undefined);
  try {
    await client.connect();
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}
