import pg from "pg";

/**
 * Creates the template database every test file copies, with the toolkit's
 * own schema applied once.
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
  // The toolkit's migrations are applied here once the migrate area lands.
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const db = new pg.Client({ connectionString: url.toString() });
  await db.connect();
  await db.end();
}
