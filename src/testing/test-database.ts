/**
 * Per-test-file databases copied from the template that the test runner
 * prepared (`prepareTestTemplate`): creating one is a file copy on the server,
 * so every test file starts from the migrated schema in milliseconds.
 * The runner passes the server and the template as `TEST_PG_ADMIN_URL` and
 * `TEST_PG_TEMPLATE`; a server that does not look like a test one is refused.
 *
 * @example
 * const db = await createTestDatabase();
 * after(() => db.drop());
 * const pool = createPool({ connectionString: db.url });
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { withClient } from "../db/index.js";
import { assertTestDatabase } from "./test-database-guard.js";

export interface TestDatabase {
  readonly url: string;
  readonly name: string;
  drop(): Promise<void>;
}

function env(name: string): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(
      `${name} is not set: run tests through a runner that prepares the template (opskit's own: npm test; see docs/testing.md).`,
    );
  }
  return value;
}

/** The server's admin URL (its `postgres` database). */
export function adminUrl(): string {
  const url = env("TEST_PG_ADMIN_URL");
  assertTestDatabase(url);
  return url;
}

export function databaseUrl(name: string): string {
  const url = new URL(adminUrl());
  url.pathname = `/${name}`;
  return url.toString();
}

function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  return withClient(adminUrl(), {}, fn);
}

/** A fresh copy of the template; `empty: true` gives a database with no toolkit schema. */
export async function createTestDatabase(options: { empty?: boolean } = {}): Promise<TestDatabase> {
  const name = `t_${randomBytes(6).toString("hex")}`;
  const template = options.empty ? "template0" : env("TEST_PG_TEMPLATE");
  await admin((c) => c.query(`create database ${name} template ${template}`));
  return {
    name,
    url: databaseUrl(name),
    drop: () =>
      admin((c) => c.query(`drop database if exists ${name} with (force)`)).then(() => undefined),
  };
}

/** Runs `fn` with a fresh database and drops it afterwards, whatever happens. */
export async function withTestDb<T>(fn: (db: TestDatabase) => Promise<T>): Promise<T> {
  const db = await createTestDatabase();
  try {
    return await fn(db);
  } finally {
    await db.drop();
  }
}
