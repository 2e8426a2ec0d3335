import path from "node:path";
import pg from "pg";
import type { Logger } from "../log/index.js";
import { startEmbeddedPostgres, withClient, type EmbeddedPostgresHandle } from "../db/index.js";

export interface ServiceDatabase {
  url: string;
  /** Set when this process started an embedded Postgres (stopped at shutdown). */
  embedded: EmbeddedPostgresHandle | undefined;
}

/**
 * The service's database: `DATABASE_URL` when set, otherwise an embedded
 * Postgres in `<dataDir>/postgres` with a database named after the service.
 */
export async function resolveDatabase(options: {
  databaseUrl: string | undefined;
  dataDir: string;
  database: string;
  log: Logger;
}): Promise<ServiceDatabase> {
  if (options.databaseUrl) return { url: options.databaseUrl, embedded: undefined };
  const dbLog = options.log.child({ category: "db", component: "embedded-postgres" });
  const dataDir = path.resolve(options.dataDir, "postgres");
  dbLog.info({ data_dir: dataDir }, "DATABASE_URL is not set: starting an embedded Postgres");
  const embedded = await startEmbeddedPostgres({
    dataDir,
    onLog: (line) => dbLog.debug(line.trim()),
  });
  await withClient(embedded.url, {}, async (admin) => {
    const { rowCount } = await admin.query("select 1 from pg_database where datname = $1", [
      options.database,
    ]);
    if (!rowCount) await admin.query(`create database ${pg.escapeIdentifier(options.database)}`);
  });
  dbLog.info(
    { port: embedded.port, reused: !embedded.owned },
    embedded.owned ? "embedded Postgres started" : "reusing the embedded Postgres already running",
  );
  return {
    url: embedded.urlFor(options.database),
    embedded: embedded.owned ? embedded : undefined,
  };
}
