import pg from "pg";
import { migrate, toolkitMigrationsDir } from "../src/migrate/index.js";

/**
 * Creates the template database every test file copies, with the toolkit's
 * own schema applied once (by the real runner, so the template is exactly
 * what a service's boot produces).
 */
export async function prepareTemplate(adminUrl: string, name: string): Promise<void> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const { error } = await migrate({
    connectionString: url.toString(),
    sources: [{ source: "opskit", dir: toolkitMigrationsDir }],
  });
  if (error) throw new Error(`The toolkit's migrations failed on the template: ${error.message}`);
}
