import assert from "node:assert/strict";
import { migrationDirs } from "../../test/helpers.js";
import { after, test } from "node:test";
import pg from "pg";
import { adminUrl } from "../../test/db.js";
import { runCli } from "../cli/index.js";
import { replayMigrations } from "./index.js";

const dirs = await migrationDirs();
after(() => dirs.remove());

async function scratchDatabases(): Promise<string[]> {
  const client = new pg.Client({ connectionString: adminUrl() });
  await client.connect();
  try {
    const { rows } = await client.query<{ datname: string }>(
      "select datname from pg_database where datname like 'opskit_replay_%'",
    );
    return rows.map((r) => r.datname);
  } finally {
    await client.end();
  }
}

test("a history whose files sort the wrong way fails replay with file, line and SQLSTATE", async () => {
  // Written on the 3rd, dated the 2nd by mistake: it uses the type the later file creates.
  const d = await dirs.dir("misdated", {
    "20240101_orders.sql": "create table orders (id int);\n",
    "20240102_order_mood.sql": "-- add the mood\nalter table orders add column mood mood;\n",
    "20240103_create_mood.sql": "create type mood as enum ('happy', 'sad');\n",
  });
  const report = await replayMigrations({
    sources: [{ source: "app", dir: d }],
    serverUrl: adminUrl(),
  });
  assert.equal(report.server, "given");
  assert.equal(report.error?.file, "20240102_order_mood.sql");
  assert.equal(report.error?.line, 2);
  assert.equal(report.error?.sqlstate, "42704");
  assert.deepEqual(
    report.results.map((r) => [r.name, r.status]),
    [
      ["20240101_orders.sql", "applied"],
      ["20240102_order_mood.sql", "failed"],
    ],
  );
  assert.deepEqual(await scratchDatabases(), [], "the scratch database is dropped");
});

test("the toolkit's and the demo's migrations replay from scratch on an embedded Postgres (opskit migrate replay)", async () => {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(
    ["migrate", "replay", "--dir", "examples/bakery/migrations", "--json"],
    {
      out: (t) => void out.push(t),
      err: (t) => void err.push(t),
    },
  );
  assert.equal(code, 0, err.join("\n"));
  const report = JSON.parse(out[0] ?? "") as {
    server: string;
    results: { source: string; status: string }[];
    sqlstate: null;
  };
  assert.equal(report.server, "embedded");
  assert.equal(report.sqlstate, null);
  assert.ok(report.results.some((r) => r.source === "opskit"));
  assert.ok(report.results.some((r) => r.source === "app"));
  assert.ok(report.results.every((r) => r.status === "applied"));
});
