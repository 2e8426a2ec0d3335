import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import pg from "pg";
import { createPool, type Pool } from "../db/index.js";
import { createTestDatabase, type TestDatabase } from "../../test/db.js";
import { consoleClient, mountAt } from "../../test/console.js";
import { createConsole, type Console } from "./index.js";

const ADMIN = "a".repeat(32);
const OPERATOR = "b".repeat(32);
const VIEWER = "c".repeat(32);
const DB_SECRET = "s3cr3t-database-password";

let db: TestDatabase;
let pool: Pool;
let opsConsole: Console;
let app: ReturnType<typeof mountAt>;

before(async () => {
  db = await createTestDatabase();
  pool = createPool({ connectionString: db.url });
  opsConsole = createConsole({
    pool,
    development: false,
    credentials: {
      adminTokens: [ADMIN],
      operatorTokens: [OPERATOR],
      viewerTokens: [VIEWER],
      users: ["ada:admin:correct horse battery"],
    },
    secrets: [DB_SECRET],
  });
  app = mountAt(opsConsole);
});
after(async () => {
  await opsConsole.close();
  await pool.end();
  await db.drop();
});

async function auditRows(
  action: string,
): Promise<{ actor: string; result: string; target: string | null }[]> {
  const { rows } = await pool.query<{ actor: string; result: string; target: string | null }>(
    "select actor, result, target from opskit.audit_log where action = $1 order by id",
    [action],
  );
  return rows;
}

test("pages need a login; a bad token is refused and audited; a good one opens a session cookie", async () => {
  const browser = consoleClient(app);
  const first = await browser.get("/ops");
  assert.equal(first.status, 303);
  assert.equal(first.headers.get("location"), "/ops/login?next=%2Fops");
  assert.equal((await browser.get("/ops/panels/health")).status, 401);

  const bad = await browser.loginWithToken("d".repeat(32));
  assert.equal(bad.status, 401);
  assert.match(bad.text, /not valid/);
  const good = await browser.loginWithToken(ADMIN);
  assert.equal(good.status, 303);
  const cookie = good.headers.getSetCookie().find((c) => c.startsWith("opskit_console_session="));
  assert.ok(cookie);
  assert.match(cookie, /HttpOnly/);
  assert.match(cookie, /SameSite=Strict/);
  assert.match(cookie, /Path=\/ops/);
  assert.doesNotMatch(cookie, /Secure/, "plain http: no Secure flag");
  assert.equal((await browser.get("/ops")).status, 200);

  const logins = await auditRows("console.login");
  assert.ok(logins.some((r) => r.result === "denied: bad credentials"));
  assert.ok(logins.some((r) => r.result === "ok" && r.actor.startsWith("admin-token:")));
});

test("a login without the login form's CSRF value is refused", async () => {
  const browser = consoleClient(app);
  const res = await browser.post("/ops/login", { token: ADMIN }, { csrf: false });
  assert.equal(res.status, 401);
  assert.equal(browser.cookies.has("opskit_console_session"), false);
});

test("name and password logins; the cookie is Secure behind a trusted TLS proxy only", async () => {
  const browser = consoleClient(app);
  assert.equal((await browser.loginWithPassword("ada", "wrong password!")).status, 401);
  assert.equal((await browser.loginWithPassword("ada", "correct horse battery")).status, 303);
  assert.match((await browser.get("/ops")).text, /ada \(admin\)/);

  const behindProxy = createConsole({
    pool,
    development: false,
    trustProxy: true,
    credentials: { adminTokens: [ADMIN] },
  });
  const proxied = consoleClient(mountAt(behindProxy));
  const page = await proxied.get("/ops/login", { "x-forwarded-proto": "https" });
  const loginCsrf = /name="_csrf" value="([^"]+)"/.exec(page.text)![1]!;
  const res = await proxied.post(
    "/ops/login",
    { _csrf: loginCsrf, token: ADMIN },
    { headers: { "x-forwarded-proto": "https" } },
  );
  assert.equal(res.status, 303);
  assert.match(res.headers.getSetCookie().join("\n"), /opskit_console_session=[^;]+;.*Secure/);
  // Not trusted: the same header changes nothing.
  const direct = await consoleClient(app).get("/ops/login", { "x-forwarded-proto": "https" });
  assert.match(direct.headers.getSetCookie().join("\n"), /opskit_console_login=/);
  assert.doesNotMatch(direct.headers.getSetCookie().join("\n"), /Secure/);
});

test("every response is no-store with a nonce CSP, and every script carries the nonce", async () => {
  const browser = consoleClient(app);
  await browser.loginWithToken(ADMIN);
  for (const path of [
    "/ops/",
    "/ops/login",
    "/ops/database",
    "/ops/assets/console.js",
    "/ops/panels/db-connections",
  ]) {
    const res = await browser.get(path);
    assert.equal(res.headers.get("cache-control"), "no-store", path);
    const csp = res.headers.get("content-security-policy") ?? "";
    const nonce = /script-src 'nonce-([^']+)'/.exec(csp)?.[1];
    assert.ok(nonce, `${path}: ${csp}`);
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /frame-ancestors 'none'/);
    for (const tag of res.text.match(/<script[^>]*>/g) ?? []) {
      assert.ok(tag.includes(`nonce="${nonce}"`), `${path}: ${tag}`);
    }
    assert.doesNotMatch(res.text, /\sstyle="/, "no inline style attributes (the CSP forbids them)");
  }
});

test("a POST without the session's CSRF token is refused and audited; so is one with another session's", async () => {
  const browser = consoleClient(app);
  await browser.loginWithToken(ADMIN);
  const other = consoleClient(app);
  await other.loginWithToken(ADMIN);
  const none = await browser.post(
    "/ops/database/backends/1/cancel",
    { confirm: "yes" },
    { csrf: false },
  );
  assert.equal(none.status, 403);
  assert.match(none.text, /CSRF/);
  const foreign = await browser.post("/ops/database/backends/1/cancel", {
    confirm: "yes",
    _csrf: other.csrf()!,
  });
  assert.equal(foreign.status, 403);
  const rows = await auditRows("db.cancel_backend");
  assert.equal(rows.filter((r) => r.result.startsWith("denied: missing or wrong CSRF")).length, 2);
});

test("roles: a viewer and an operator are refused an admin action, and the refusal is audited", async () => {
  for (const [token, role] of [
    [VIEWER, "viewer"],
    [OPERATOR, "operator"],
  ] as const) {
    const browser = consoleClient(app);
    await browser.loginWithToken(token);
    const page = await browser.get("/ops/database/backends/1");
    assert.doesNotMatch(
      page.text,
      /data-action="db.terminate_backend"/,
      "no button for a refused action",
    );
    const res = await browser.post("/ops/database/backends/1/terminate", { confirm: "yes" });
    assert.equal(res.status, 403);
    assert.match(res.text, new RegExp(`Your role \\(${role}\\) may not do db.terminate_backend`));
  }
  const rows = await auditRows("db.terminate_backend");
  assert.ok(
    rows.some((r) => r.result === "denied: role viewer" && r.actor.startsWith("viewer-token:")),
  );
  assert.ok(rows.some((r) => r.result === "denied: role operator"));
});

test("terminate a backend: confirmation required, then done, audited with its query", async () => {
  const victim = new pg.Client({ connectionString: db.url, application_name: "victim" });
  await victim.connect();
  victim.on("error", () => undefined);
  const { rows } = await victim.query<{ pid: number }>("select pg_backend_pid() as pid");
  const pid = rows[0]!.pid;
  const ended = victim.query("select pg_sleep(60) /* long report */").then(
    () => "finished",
    (error: Error) => error.message,
  );
  const browser = consoleClient(app);
  await browser.loginWithToken(ADMIN);
  // Wait until the sleep is visible as active.
  for (;;) {
    const page = await browser.get("/ops/panels/db-active");
    if (page.text.includes("long report")) break;
  }
  const unconfirmed = await browser.post(`/ops/database/backends/${pid}/terminate`, {});
  assert.equal(unconfirmed.status, 303);
  assert.match((await browser.get("/ops/database")).text, /Confirm first/);
  const confirmPage = await browser.get(`/ops/database/backends/${pid}`);
  assert.match(confirmPage.text, /long report/);
  const done = await browser.post(`/ops/database/backends/${pid}/terminate`, { confirm: "yes" });
  assert.equal(done.status, 303);
  assert.match(await ended, /terminat/i);
  await victim.end().catch(() => undefined);
  const audit = await auditRows("db.terminate_backend");
  assert.ok(audit.some((r) => r.result === "terminated" && r.target === `pid ${pid}`));
  assert.ok(audit.some((r) => r.result === "error: BAD_REQUEST"));
});

test("no secret value is ever rendered: a query text holding one is scrubbed", async () => {
  const holder = new pg.Client({ connectionString: db.url });
  await holder.connect();
  holder.on("error", () => undefined);
  const sleeping = holder
    .query(`select pg_sleep(30), '${DB_SECRET}' as x, '${OPERATOR}' as y`)
    .catch(() => undefined);
  const browser = consoleClient(app);
  await browser.loginWithToken(ADMIN);
  let page = await browser.get("/ops/panels/db-active");
  while (!page.text.includes("pg_sleep(30)")) page = await browser.get("/ops/panels/db-active");
  assert.doesNotMatch(page.text, new RegExp(DB_SECRET));
  assert.doesNotMatch(page.text, new RegExp(OPERATOR));
  assert.match(page.text, /\[secret\]/);
  await pool.query(
    "select pg_cancel_backend(pid) from pg_stat_activity where query like '%pg_sleep(30)%' and pid <> pg_backend_pid()",
  );
  await sleeping;
  await holder.end();
});

test("outside development with no login configured, every page is refused; in development a token is made", async () => {
  const closed = createConsole({ pool, development: false, credentials: {} });
  assert.equal(closed.enabled, false);
  assert.equal(closed.developmentToken, undefined);
  const res = await consoleClient(mountAt(closed)).get("/ops/login");
  assert.equal(res.status, 503);
  assert.match(res.text, /OPSKIT_CONSOLE_ADMIN_TOKENS/);

  const dev = createConsole({ pool, development: true, credentials: {} });
  assert.match(dev.developmentToken ?? "", /^[0-9a-f]{32}$/);
  const browser = consoleClient(mountAt(dev));
  assert.equal((await browser.loginWithToken(dev.developmentToken!)).status, 303);
  // Configured logins win: no token is generated next to them.
  assert.equal(
    createConsole({ pool, development: true, credentials: { adminTokens: [ADMIN] } })
      .developmentToken,
    undefined,
  );
});

test("logout ends the session server-side: the old cookie no longer opens a page", async () => {
  const browser = consoleClient(app);
  await browser.loginWithToken(ADMIN);
  const cookie = browser.cookies.get("opskit_console_session")!;
  assert.equal((await browser.post("/ops/logout")).status, 303);
  const replay = consoleClient(app);
  replay.cookies.set("opskit_console_session", cookie);
  assert.equal((await replay.get("/ops")).status, 303);
});
