import assert from "node:assert/strict";
import { after, test } from "node:test";
import { createTestDatabase } from "../../test/db.js";
import { createPool } from "./index.js";

const db = await createTestDatabase();
const pool = createPool({ connectionString: db.url, applicationName: "opskit-test" });
after(async () => {
  await pool.end();
  await db.drop();
});

test("the pool connects to the per-file database and tags its sessions", async () => {
  const { rows } = await pool.query<{ db: string; app: string }>(
    "select current_database() as db, current_setting('application_name') as app",
  );
  assert.equal(rows[0]?.db, db.name);
  assert.equal(rows[0]?.app, "opskit-test");
});
