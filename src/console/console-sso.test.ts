import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { SignJWT } from "jose";
import { consoleClient, mountAt } from "../../test/console.js";
import { createTestDatabase, type TestDatabase } from "../../test/db.js";
import { createJwtVerifier, hsSecretSource } from "../auth/index.js";
import { createPool, type Pool } from "../db/index.js";
import { createConsole, type Console } from "./index.js";
import { parseSsoRoles } from "./console-sso.js";

const SECRET = "an-identity-provider-secret-of-32-bytes!";
let db: TestDatabase;
let pool: Pool;
let ops: Console;

function token(sub: string, roles: string[], secret = SECRET, expiresIn = "5m") {
  return new SignJWT({ roles })
    .setProtectedHeader({ alg: "HS256" })
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(new TextEncoder().encode(secret));
}

before(async () => {
  db = await createTestDatabase();
  pool = createPool({ connectionString: db.url });
  const verifier = createJwtVerifier({ keys: [hsSecretSource(SECRET)] });
  ops = createConsole({
    pool,
    development: false,
    credentials: {},
    sso: {
      verify: (t) => verifier.verify(t),
      roles: parseSsoRoles(["manager:admin", "staff:viewer"]),
    },
  });
});
after(async () => {
  await ops.close();
  await pool.end();
  await db.drop();
});

test("the identity provider's token logs in with the strongest mapped role, audited under its subject", async () => {
  const browser = consoleClient(mountAt(ops));
  const login = await browser.loginWithToken(await token("alice", ["staff", "manager"]));
  assert.equal(login.status, 303);
  const page = await browser.get("/ops/jobs");
  assert.equal(page.status, 200);
  const { rows } = await pool.query<{ actor: string; role: string }>(
    "select actor, role from opskit.console_sessions",
  );
  assert.deepEqual(rows, [{ actor: "sso:alice", role: "admin" }]);
  const audit = await pool.query<{ actor: string; result: string }>(
    "select actor, result from opskit.audit_log where action = 'console.login' order by id desc limit 1",
  );
  assert.equal(audit.rows[0]?.actor, "sso:alice");
  assert.equal(audit.rows[0]?.result, "ok");
});

test("a token with no mapped role, a forged one or an expired one opens no session", async () => {
  const before = (await pool.query("select 1 from opskit.console_sessions")).rowCount;
  for (const bad of [
    await token("bob", ["customer"]),
    await token("mallory", ["manager"], "another-secret-that-is-32-bytes-long"),
    await token("carol", ["manager"], SECRET, "-1m"),
  ]) {
    assert.equal((await consoleClient(mountAt(ops)).loginWithToken(bad)).status, 401);
  }
  assert.equal((await pool.query("select 1 from opskit.console_sessions")).rowCount, before);
});

test("a role map entry that is not idpRole:viewer|operator|admin is refused", () => {
  assert.throws(() => parseSsoRoles(["manager:root"]), /not idpRole:viewer\|operator\|admin/);
  assert.throws(() => parseSsoRoles([":admin"]), /not idpRole/);
});
