import pg from "pg";
import { withClient } from "../db/index.js";
import { migrate, toolkitMigrationsDir, type MigrationSource } from "../migrate/index.js";
import { assertTestDatabase } from "./test-database-guard.js";

/**
 * Creates the template database every test file copies (see
 * `createTestDatabase`), with the toolkit's schema and then the service's
 * own migrations applied once, by the real runner: the template is exactly
 * what a service's boot produces. Refuses a server that does not look like
 * a test one (`assertTestDatabase`).
 *
 * @example
 * await prepareTestTemplate(adminUrl, "app_template", [{ source: "app", dir: "migrations" }]);
 * // then run the test files with TEST_PG_ADMIN_URL=adminUrl and TEST_PG_TEMPLATE=app_template
 */
export async function prepareTestTemplate(
  adminUrl: string,
  name: string,
  sources: MigrationSource[] = [],
): Promise<void> {
  assertTestDatabase(adminUrl);
  await withClient(adminUrl, {}, async (admin) => {
    await admin.query(`drop database if exists ${pg.escapeIdentifier(name)} with (force)`);
    await admin.query(`create database ${pg.escapeIdentifier(name)}`);
  });
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const { error } = await migrate({
    connectionString: url.toString(),
    sources: [{ source: "opskit", dir: toolkitMigrationsDir }, ...sources],
  });
  if (error) throw new Error(`The migrations failed on the test template: ${error.message}`);
}
