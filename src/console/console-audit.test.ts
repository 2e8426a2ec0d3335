import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { createPool, type Pool } from "../db/index.js";
import { createTestDatabase, type TestDatabase } from "../../test/db.js";
import { consoleClient, mountAt } from "../../test/console.js";
import { createConsole, type Console } from "./index.js";

const ADMIN = "a".repeat(32);

let db: TestDatabase;
let pool: Pool;
let opsConsole: Console;

before(async () => {
  db = await createTestDatabase();
  pool = createPool({ connectionString: db.url });
  opsConsole = createConsole({ pool, development: false, credentials: { adminTokens: [ADMIN] } });
});
after(async () => {
  await opsConsole.close();
  await pool.end();
  await db.drop();
});

// Sample values for path parameters, so each route can be called for real.
const SAMPLE: Record<string, string> = {
  pid: "999999",
  id: "999999",
  queue: "default",
  name: "nope",
};

test("every mutating route of the app is a registered action, and each one writes the audit log", async () => {
  const app = mountAt(opsConsole);
  const mutating = app.routes.filter(
    (r) => r.method !== "GET" && r.method !== "ALL" && r.method !== "HEAD",
  );
  assert.ok(mutating.length >= 3, "the route table has mutating routes");
  const registered = new Set(opsConsole.actions.keys());
  for (const route of mutating) {
    assert.ok(
      registered.has(`${route.method} ${route.path}`),
      `${route.method} ${route.path} is not an audited action`,
    );
  }
  assert.equal(registered.size, new Set(mutating.map((r) => `${r.method} ${r.path}`)).size);

  for (const [key, action] of opsConsole.actions) {
    const [method, template] = key.split(" ") as [string, string];
    const path = template.replace(
      /:(\w+)(\{(?:[^{}]|\{[^{}]*\})*\})?/g,
      (_, name: string) => SAMPLE[name] ?? "1",
    );
    const browser = consoleClient(app);
    if (action !== "console.login") await browser.loginWithToken(ADMIN);
    const { rows: before } = await pool.query<{ n: number }>(
      "select count(*)::int as n from opskit.audit_log where action = $1",
      [action],
    );
    if (action === "console.login") {
      await browser.loginWithToken(ADMIN);
    } else {
      assert.equal(method, "POST");
      const res = await browser.post(path, { confirm: "yes" });
      assert.ok(res.status < 500, `${key}: ${res.status}`);
    }
    const { rows: afterRows } = await pool.query<{ n: number }>(
      "select count(*)::int as n from opskit.audit_log where action = $1",
      [action],
    );
    assert.ok(afterRows[0]!.n > before[0]!.n, `${key} (${action}) wrote no audit row`);
  }
});

test("an audit row names the actor, the target, the parameters and the result", async () => {
  const browser = consoleClient(mountAt(opsConsole));
  await browser.loginWithToken(ADMIN);
  await browser.post("/ops/database/backends/999999/cancel", { confirm: "yes" });
  const { rows } = await pool.query<{
    actor: string;
    target: string;
    params: Record<string, unknown>;
    result: string;
  }>(
    "select actor, target, params, result from opskit.audit_log where action = 'db.cancel_backend' order by id desc limit 1",
  );
  assert.match(rows[0]!.actor, /^admin-token:[0-9a-f]{8}$/);
  assert.equal(rows[0]!.target, "pid 999999");
  assert.equal(rows[0]!.params.pid, "999999");
  assert.equal(rows[0]!.params.confirm, "yes");
  assert.equal(rows[0]!.params._csrf, undefined, "the CSRF token is not kept");
  assert.equal(rows[0]!.result, "not_found");
  const page = await browser.get("/ops/audit?action=db.");
  assert.match(page.text, /db\.cancel_backend/);
  assert.match(page.text, /pid 999999/);
});
