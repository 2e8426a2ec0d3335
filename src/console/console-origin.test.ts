import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { consoleClient, mountAt } from "../../test/console.js";
import { createTestDatabase, type TestDatabase } from "../../test/db.js";
import { createPool, type Pool } from "../db/index.js";
import { createConsole, type Console } from "./index.js";

const ADMIN = "a".repeat(32);

let db: TestDatabase;
let pool: Pool;
let opsConsole: Console;
let proxied: Console;

before(async () => {
  db = await createTestDatabase();
  pool = createPool({ connectionString: db.url });
  const options = {
    pool,
    development: false,
    credentials: { adminTokens: [ADMIN] },
    sampleIntervalMs: 0,
  };
  opsConsole = createConsole(options);
  proxied = createConsole({ ...options, trustProxy: true });
});
after(async () => {
  await opsConsole.close();
  await proxied.close();
  await pool.end();
  await db.drop();
});

const lastAudit = async (action: string) =>
  (
    await pool.query<{ result: string; actor: string }>(
      "select result, actor from opskit.audit_log where action = $1 order by id desc limit 1",
      [action],
    )
  ).rows[0];

const paused = async (queue: string) =>
  (
    await pool.query<{ paused: boolean }>("select paused from opskit.job_queues where name = $1", [
      queue,
    ])
  ).rows[0]?.paused;

test("a mutating POST from another origin is refused 403 and audited as denied", async () => {
  const browser = consoleClient(mountAt(opsConsole));
  await browser.loginWithToken(ADMIN);
  for (const origin of [
    "https://evil.example",
    "null",
    "http://localhost:8080",
    "http://localhost.evil.example",
  ]) {
    const res = await browser.post("/ops/queues/origin-q/pause", {}, { headers: { origin } });
    assert.equal(res.status, 403, origin);
    assert.equal(await paused("origin-q"), undefined, origin);
    const row = await lastAudit("queues.pause");
    assert.match(row!.result, /^denied: cross-origin request/, origin);
  }
  // Its own origin, or none (then the CSRF token alone decides, as before).
  const same = await browser.post(
    "/ops/queues/origin-q/pause",
    {},
    { headers: { origin: "http://localhost" } },
  );
  assert.equal(same.status, 303);
  assert.equal(await paused("origin-q"), true);
  assert.equal((await browser.post("/ops/queues/origin-q/resume")).status, 303);
  assert.equal(await paused("origin-q"), false);
  // Plain http and no trusted proxy: a TLS-terminating proxy nobody declared
  // looks the same, so the https form of its own host passes too.
  const tls = await browser.post(
    "/ops/queues/origin-q/pause",
    {},
    { headers: { origin: "https://localhost" } },
  );
  assert.equal(tls.status, 303);
  // Behind a trusted proxy that says https, plain http is another origin.
  const proxiedBrowser = consoleClient(mountAt(proxied));
  const page = await proxiedBrowser.get("/ops/login", { "x-forwarded-proto": "https" });
  const loginCsrf = /name="_csrf" value="([^"]+)"/.exec(page.text)![1]!;
  await proxiedBrowser.post(
    "/ops/login",
    { _csrf: loginCsrf, token: ADMIN },
    { headers: { "x-forwarded-proto": "https" } },
  );
  await proxiedBrowser.get("/ops/audit", { "x-forwarded-proto": "https" });
  const downgraded = await proxiedBrowser.post(
    "/ops/queues/origin-q/resume",
    {},
    { headers: { origin: "http://localhost", "x-forwarded-proto": "https" } },
  );
  assert.equal(downgraded.status, 403);
});

test("a login POST from another origin is refused 403 and audited as denied", async () => {
  const browser = consoleClient(mountAt(opsConsole));
  const page = await browser.get("/ops/login");
  const loginCsrf = /name="_csrf" value="([^"]+)"/.exec(page.text)![1]!;
  const res = await browser.post(
    "/ops/login",
    { _csrf: loginCsrf, token: ADMIN },
    { headers: { origin: "https://evil.example" } },
  );
  assert.equal(res.status, 403);
  assert.equal(browser.cookies.has("opskit_console_session"), false);
  assert.match((await lastAudit("console.login"))!.result, /^denied: cross-origin request/);
});

test("the login form's cookie is __Host- prefixed over https, and plain on http", async () => {
  const https = consoleClient(mountAt(proxied));
  const tls = { "x-forwarded-proto": "https" };
  const page = await https.get("/ops/login", tls);
  const cookie = page.headers.getSetCookie().find((c) => c.includes("opskit_console_login"))!;
  assert.match(cookie, /^__Host-opskit_console_login=/);
  assert.match(cookie, /; Path=\/(;|$)/);
  assert.match(cookie, /; Secure/);
  const loginCsrf = /name="_csrf" value="([^"]+)"/.exec(page.text)![1]!;
  const res = await https.post(
    "/ops/login",
    { _csrf: loginCsrf, token: ADMIN },
    { headers: { ...tls, origin: "https://localhost" } },
  );
  assert.equal(res.status, 303);
  assert.ok(https.cookies.has("opskit_console_session"));

  // On plain http a browser drops __Host- cookies: the plain name is used.
  const http = consoleClient(mountAt(opsConsole));
  const plain = (await http.get("/ops/login")).headers.getSetCookie().join("\n");
  assert.match(plain, /(^|\n)opskit_console_login=/);
  assert.doesNotMatch(plain, /__Host-/);
  assert.equal((await http.loginWithToken(ADMIN)).status, 303);

  // A plain-name cookie does not stand in for the __Host- one over https.
  const mixed = consoleClient(mountAt(proxied));
  const form = await mixed.get("/ops/login", tls);
  const token = /name="_csrf" value="([^"]+)"/.exec(form.text)![1]!;
  mixed.cookies.delete("__Host-opskit_console_login");
  mixed.cookies.set("opskit_console_login", token);
  const refused = await mixed.post("/ops/login", { _csrf: token, token: ADMIN }, { headers: tls });
  assert.equal(refused.status, 401);
});
