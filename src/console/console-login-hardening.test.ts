import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { after, before, test } from "node:test";
import { createPool, type Pool } from "../db/index.js";
import { createTestDatabase, type TestDatabase } from "../../test/db.js";
import { consoleClient, mountAt } from "../../test/console.js";
import { createConsole, type Console } from "./index.js";
import { createLoginThrottle } from "./login-throttle.js";
import { hashPassword, parsePasswordHash } from "../auth/index.js";

const ADMIN = "a".repeat(32);
const PASSWORD = "correct horse battery staple";

let db: TestDatabase;
let pool: Pool;
const consoles: Console[] = [];

before(async () => {
  db = await createTestDatabase();
  pool = createPool({ connectionString: db.url });
});
after(async () => {
  for (const c of consoles) await c.close();
  await pool.end();
  await db.drop();
});

function open(options: Partial<Parameters<typeof createConsole>[0]>) {
  const c = createConsole({ pool, development: false, credentials: {}, ...options });
  consoles.push(c);
  return mountAt(c);
}

test("a user whose password is given as an scrypt hash logs in with the password, not the hash", async () => {
  const hash = await hashPassword(PASSWORD);
  assert.match(hash, /^scrypt\$32768\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
  assert.notEqual(await hashPassword(PASSWORD), hash, "a new salt each time");
  const app = open({ credentials: { users: [`bob:operator:${hash}`] } });

  assert.equal((await consoleClient(app).loginWithPassword("bob", "wrong password!!")).status, 401);
  assert.equal((await consoleClient(app).loginWithPassword("bob", hash)).status, 401);
  assert.equal((await consoleClient(app).loginWithPassword("eve", PASSWORD)).status, 401);
  const browser = consoleClient(app);
  assert.equal((await browser.loginWithPassword("bob", PASSWORD)).status, 303);
  assert.match((await browser.get("/ops")).text, /bob \(operator\)/);
});

test("text shaped like a hash with an absurd cost is a plain password, never a hash", () => {
  assert.equal(parsePasswordHash(`scrypt$3$8$1$${"A".repeat(22)}$${"B".repeat(43)}`), undefined);
  assert.equal(
    parsePasswordHash(`scrypt$${2 ** 30}$8$1$${"A".repeat(22)}$${"B".repeat(43)}`),
    undefined,
  );
  assert.ok(parsePasswordHash(`scrypt$16384$8$1$${"A".repeat(22)}$${"B".repeat(43)}`));
});

async function postLogin(app: ReturnType<typeof open>, address: string, token: string) {
  const headers = { "x-forwarded-for": `203.0.113.9, ${address}` };
  const browser = consoleClient(app);
  const page = await browser.get("/ops/login", headers);
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)?.[1] ?? "";
  return browser.post("/ops/login", { _csrf: csrf, token }, { headers });
}

test("after too many failed logins an address is refused (429, Retry-After), others are not", async () => {
  const app = open({
    credentials: { adminTokens: [ADMIN] },
    trustProxy: true,
    loginThrottle: { maxFailures: 3, windowMs: 60_000 },
  });
  for (let i = 0; i < 3; i++)
    assert.equal((await postLogin(app, "10.0.0.1", "f".repeat(32))).status, 401);
  const refused = await postLogin(app, "10.0.0.1", ADMIN);
  assert.equal(refused.status, 429, "even the right token is refused while the window lasts");
  assert.ok(Number(refused.headers.get("retry-after")) > 0);
  assert.match(refused.text, /Too many failed logins/);
  assert.equal((await postLogin(app, "10.0.0.2", ADMIN)).status, 303, "another address logs in");

  const { rows } = await pool.query<{ result: string; params: { address: string } }>(
    "select result, params from opskit.audit_log where action = 'console.login' and params->>'address' = '10.0.0.1' order by id",
  );
  assert.equal(rows.length, 3, "the refused attempt is not audited; the failures are");
  assert.match(rows[2]!.result, /refused for a while/);
});

test("the throttle: a success clears the count; the window ends; memory is bounded", () => {
  let now = 0;
  const t = createLoginThrottle({
    maxFailures: 2,
    windowMs: 1_000,
    maxAddresses: 2,
    now: () => now,
  });
  assert.equal(t.fail("a"), false);
  t.succeed("a");
  assert.equal(t.fail("a"), false);
  assert.equal(t.fail("a"), true);
  assert.equal(t.retryAfter("a"), 1);
  now = 1_000;
  assert.equal(t.retryAfter("a"), 0, "the window is over");
  t.fail("a");
  t.fail("a");
  t.fail("b");
  t.fail("c");
  assert.equal(t.retryAfter("a"), 0, "the oldest address was dropped to keep two");
});

test("opskit console hash-password: reads a pipe, prints a hash the console accepts; refuses short ones", () => {
  const cli = path.resolve(import.meta.dirname, "../../dist/src/cli/main.js");
  const ok = spawnSync(process.execPath, [cli, "console", "hash-password"], {
    input: `${PASSWORD}\n`,
    encoding: "utf8",
  });
  assert.equal(ok.status, 0, ok.stderr);
  const hash = ok.stdout.trim();
  assert.ok(parsePasswordHash(hash), hash);
  assert.ok(!ok.stdout.includes(PASSWORD) && !ok.stderr.includes(PASSWORD));
  const short = spawnSync(process.execPath, [cli, "console", "hash-password"], {
    input: "short\n",
    encoding: "utf8",
  });
  assert.equal(short.status, 2);
  assert.match(short.stderr, /12 characters/);
});
