import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import pg from "pg";
import { createPool, type Pool } from "../db/index.js";
import { migrate, toolkitMigrationsDir } from "../migrate/index.js";
import { createTestDatabase, type TestDatabase } from "../../test/db.js";
import { consoleClient, mountAt } from "../../test/console.js";
import { migrationDirs } from "../../test/helpers.js";
import { createConsole, type Console } from "./index.js";

const ADMIN = "a".repeat(32);

let db: TestDatabase;
let pool: Pool;
let queries = 0;
let counting: Pool;
let opsConsole: Console;
let dirs: Awaited<ReturnType<typeof migrationDirs>>;

before(async () => {
  db = await createTestDatabase();
  pool = createPool({ connectionString: db.url });
  // The console's pool, counting the queries it is asked to run.
  counting = Object.assign(Object.create(pool) as Pool, {
    query: ((...args: Parameters<Pool["query"]>) => {
      queries++;
      return (pool.query as (...a: unknown[]) => unknown)(...args);
    }) as Pool["query"],
  });
  dirs = await migrationDirs();
  const app = await dirs.dir("app", {
    "0001_orders.sql": "create table orders (id bigint primary key, note text);",
  });
  await migrate({
    connectionString: db.url,
    sources: [
      { source: "opskit", dir: toolkitMigrationsDir },
      { source: "app", dir: app },
    ],
  });
  // Added after the run: pending, and it takes a lock that blocks writes (a lint finding).
  await dirs.dir("app", { "0002_index.sql": "create index orders_note_idx on orders (note);\n" });
  opsConsole = createConsole({
    pool: counting,
    development: false,
    credentials: { adminTokens: [ADMIN] },
    migrationSources: [
      { source: "opskit", dir: toolkitMigrationsDir },
      { source: "app", dir: app },
    ],
  });
});
after(async () => {
  await opsConsole.close();
  await pool.end();
  await db.drop();
  await dirs.remove();
});

async function admin() {
  const browser = consoleClient(mountAt(opsConsole));
  await browser.loginWithToken(ADMIN);
  return browser;
}

test("migrations: applied and pending files, who applied them, and the lint findings of pending files only", async () => {
  const page = (await (await admin()).get("/ops/migrations")).text;
  assert.match(page, /0001_orders\.sql[\s\S]*?applied/);
  assert.match(page, /0002_index\.sql[\s\S]*?pending/);
  const lint = page.slice(
    page.indexOf('id="panel-migration-lint"'),
    page.indexOf('id="panel-migration-audit"'),
  );
  assert.match(lint, /0002_index\.sql/);
  assert.match(lint, /concurrently/i);
  assert.doesNotMatch(lint, /0001_orders\.sql/, "applied files are not linted as pending");
  const overview = (await (await admin()).get("/ops")).text;
  assert.match(overview, /1 pending/);
});

test("database: a lock wait shows who blocks whom", async () => {
  const holder = new pg.Client({ connectionString: db.url, application_name: "holder" });
  const waiter = new pg.Client({ connectionString: db.url, application_name: "waiter" });
  await holder.connect();
  await waiter.connect();
  await holder.query("begin; lock table orders in access exclusive mode");
  const holderPid = (await holder.query<{ pid: number }>("select pg_backend_pid() as pid")).rows[0]!
    .pid;
  const waiting = waiter.query("select count(*) from orders /* waits */");
  const browser = await admin();
  let panel = await browser.get("/ops/panels/db-locks");
  while (!panel.text.includes("waits */")) panel = await browser.get("/ops/panels/db-locks");
  assert.match(panel.text, new RegExp(`pid ${holderPid}`));
  assert.match(panel.text, /orders/);
  await holder.query("commit");
  await waiting;
  await holder.end();
  await waiter.end();
});

test("each live panel runs one query per refresh, whatever the number of rows", async () => {
  const browser = await admin();
  const panels: string[] = [];
  for (const screen of [
    "/ops",
    "/ops/jobs?state=dead",
    "/ops/schedules",
    "/ops/inbox",
    "/ops/database",
  ]) {
    const page = await browser.get(screen);
    panels.push(
      ...[...page.text.matchAll(/hx-get="(\/ops\/panels\/[^"]+)"/g)].map((m) =>
        m[1]!.replaceAll("&amp;", "&"),
      ),
    );
  }
  assert.ok(panels.length >= 12, panels.join());
  for (const path of [...new Set(panels)]) {
    await browser.get(path); // session lookup warm
    queries = 0;
    const res = await browser.get(path);
    assert.equal(res.status, 200);
    // One for the session, at most one for the panel (health reads the process's cached checks).
    assert.ok(queries <= 2, `${path} ran ${queries - 1} queries`);
  }
});
