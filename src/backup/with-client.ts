import pg from "pg";

/** Runs `fn` on one short-lived connection (the area's tools talk to servers no pool belongs to). */
export async function withClient<T>(
  url: string,
  fn: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = new pg.Client({ connectionString: url, application_name: "opskit-backup" });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}
